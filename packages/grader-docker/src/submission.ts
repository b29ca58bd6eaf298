import type { LabDefinition } from '@kadai/catalog';
import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import { sharedReferenceParsers } from '@kadai/reference-parsers';
import path from 'node:path';
import { remoteAddIssues } from './build-policy';
import { findComposeFile, normalizeCompose, readComposeText, COMPOSE_FILE_NAMES } from './compose';
import { readDockerfile, type DockerfileFacts } from './dockerfile';
import type { Project } from './model';
import type { DockerGraderOptions } from './options';
import { parseRunFile, RunFileError } from './run-line';
import { dockerSection } from './spec';

export interface ReadSubmission {
  project: Project;
  dockerfiles: Map<string, DockerfileFacts>;
}

function section(def: LabDefinition) {
  const parsed = dockerSection.safeParse((def as { docker?: unknown }).docker);
  if (!parsed.success) throw new InfrastructureError(`lab ${def.id}: its docker: section is invalid: ${parsed.error.message}`, false);
  return parsed.data;
}

/**
 * Reads a submission into the project kadai will run, rejecting (file, line, field) whatever cannot
 * be graded or is outside the sandbox policy. Used by `validate` (in the api) and again by `grade`.
 */
export async function readSubmission(def: LabDefinition, files: Map<string, Buffer>, options: DockerGraderOptions): Promise<ReadSubmission> {
  const docker = section(def);
  // The api enforces this too; the grader does not rely on it (a build context is sent whole to the engine).
  const total = [...files.values()].reduce((sum, f) => sum + f.length, 0);
  if (total > def.submission.maxBytes) {
    throw new RejectedInputError(`the submission is ${total} bytes; ${def.id} accepts at most ${def.submission.maxBytes}`, [{ message: `the build context is too large (${total} bytes, at most ${def.submission.maxBytes})` }], 413);
  }
  const parsers = sharedReferenceParsers(options.parsersBin);
  let project: Project;
  if (docker.input === 'run') {
    const data = files.get(docker.runFile);
    if (!data) throw new RejectedInputError(`${def.id} needs ${docker.runFile}`, [{ file: docker.runFile, message: 'write your docker run command in this file' }]);
    try {
      project = { input: 'run', file: docker.runFile, services: parseRunFile(docker.runFile, data.toString('utf8'), options.maxServices), volumes: [] };
    } catch (error) {
      if (error instanceof RunFileError) throw new RejectedInputError(`${docker.runFile} cannot be run as given`, error.issues);
      throw error;
    }
    project.volumes = [...new Set(project.services.flatMap((s) => s.volumes.map((v) => v.volume)))];
  } else if (docker.input === 'build') {
    if (!files.has(docker.dockerfile)) throw new RejectedInputError(`${def.id} needs ${docker.dockerfile}`, [{ file: docker.dockerfile, message: 'the Dockerfile is missing' }]);
    project = {
      input: 'build',
      file: docker.dockerfile,
      services: [
        {
          name: docker.service,
          build: { context: '.', dockerfile: docker.dockerfile },
          env: { ...docker.env },
          ports: docker.ports.map((container) => ({ container, protocol: 'tcp' as const })),
          restart: 'no',
          volumes: [],
          dependsOn: [],
          ...(docker.command ? { command: docker.command } : {}),
          where: { file: docker.dockerfile, line: 1 },
        },
      ],
      volumes: [],
    };
  } else {
    const file = findComposeFile(files);
    if (!file) throw new RejectedInputError(`${def.id} needs a Compose file`, [{ message: `add one of ${COMPOSE_FILE_NAMES.join(', ')}` }]);
    const text = readComposeText(file, files.get(file)!.toString('utf8'));
    project = await normalizeCompose(parsers, text, files, options.maxServices);
  }
  const dockerfiles = new Map<string, DockerfileFacts>();
  for (const s of project.services) {
    if (!s.build) continue;
    const dockerfile = path.posix.join(s.build.context, s.build.dockerfile);
    const text = files.get(dockerfile);
    if (!text) throw new RejectedInputError(`service ${s.name}: ${dockerfile} is missing`, [{ ...s.where, field: s.build.context === '.' ? 'build' : 'build.context', message: `no ${dockerfile} in the submission` }]);
    const facts = await readDockerfile(parsers, dockerfile, text.toString('utf8'), s.build.args ?? {}, options.dockerfileFrontends);
    const remote = remoteAddIssues(dockerfile, facts);
    if (remote.length > 0) throw new RejectedInputError(`${dockerfile}: ADD of a URL`, remote);
    dockerfiles.set(s.name, facts);
  }
  return { project, dockerfiles };
}
