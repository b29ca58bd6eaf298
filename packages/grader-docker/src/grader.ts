import type { CheckSpec, Lab, LabDefinition } from '@kadai/catalog';
import { InfrastructureError, RejectedInputError, type InputIssue } from '@kadai/errors';
import { capEvidence, type CheckResult, type Grader } from '@kadai/grading';
import Docker from 'dockerode';
import { CHECK_TYPES, type CheckContext, type Outcome } from './checks';
import { engine } from './engine';
import { DEFAULT_DOCKER_OPTIONS, type DockerGraderOptions } from './options';
import { ensureBuildNetwork, ensureHostIsolation } from './isolation';
import { ensureBuildCgroup } from './reaper';
import { Sandbox } from './sandbox';
import { dockerSection } from './spec';
import { readSubmission } from './submission';

function dockerLab(lab: Lab): Exclude<LabDefinition, { kind: 'quiz' }> {
  if (lab.definition.kind !== 'docker') throw new RejectedInputError(`${lab.definition.id} is not a docker lab`);
  return lab.definition as Exclude<LabDefinition, { kind: 'quiz' }>;
}

/** Validates a docker lab's `docker:` section and every check's type-specific fields (for the catalog loader). */
export function dockerLabIssues(file: string, def: LabDefinition): InputIssue[] {
  if (def.kind !== 'docker') return [];
  const issues: InputIssue[] = [];
  const docker = dockerSection.safeParse((def as { docker?: unknown }).docker);
  if (!docker.success) for (const i of docker.error.issues) issues.push({ file, field: ['docker', ...i.path].join('.'), message: i.message });
  def.checks.forEach((check, index) => {
    const type = CHECK_TYPES[check.type];
    if (!type) {
      issues.push({ file, field: `checks.${index}.type`, message: `unknown check type "${check.type}" (${Object.keys(CHECK_TYPES).join(', ')})` });
      return;
    }
    const parsed = type.fields.safeParse(check);
    if (!parsed.success) for (const i of parsed.error.issues) issues.push({ file, field: ['checks', index, ...i.path].join('.'), message: i.message });
  });
  return issues;
}

function result(check: CheckSpec, visibility: CheckResult['visibility'], outcome: Outcome): CheckResult {
  return {
    checkId: check.id,
    title: check.title,
    points: outcome.status === 'pass' ? check.points : 0,
    maxPoints: check.points,
    status: outcome.status,
    message: outcome.message,
    ...(outcome.evidence ? { evidence: capEvidence(outcome.evidence) } : {}),
    visibility: check.visibility ?? visibility,
  };
}

/**
 * The docker grader: reads the submission into a project (rejecting what the sandbox policy
 * refuses), builds and runs it in a sandbox of its own on the Docker engine, evaluates the lab's
 * checks in order, and always removes what it created.
 */
export function createDockerGrader(overrides: Partial<DockerGraderOptions> = {}): Grader & { docker: Docker; options: DockerGraderOptions } {
  const options: DockerGraderOptions = { ...DEFAULT_DOCKER_OPTIONS, ...overrides };
  const docker = new Docker({ socketPath: options.socketPath });
  let cgroupReady: Promise<boolean> | undefined;
  let isolated: Promise<void> | undefined;
  let buildNetworkReady: Promise<void> | undefined;
  return {
    kind: 'docker',
    docker,
    options,
    async validate(lab, files) {
      await readSubmission(dockerLab(lab), files, options);
    },
    async grade(lab, input, ctx) {
      const def = dockerLab(lab);
      const issues = dockerLabIssues('lab.yaml', def);
      if (issues.length > 0) throw new InfrastructureError(`lab ${def.id} is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, false);
      const { project, dockerfiles } = await readSubmission(def, input.files, options);
      await engine('ping', () => docker.ping());
      if (options.isolateFromHost) {
        isolated ??= ensureHostIsolation().catch((error: unknown) => {
          isolated = undefined; // try again next time
          throw new InfrastructureError(`cannot isolate attempt networks from the host: ${(error as Error).message}`, false, { cause: error });
        });
        await isolated;
      }
      if (options.buildNetwork) {
        buildNetworkReady ??= engine('create the build network', () => ensureBuildNetwork(docker, options.buildNetwork)).catch((error: unknown) => {
          buildNetworkReady = undefined;
          throw error;
        });
        await buildNetworkReady;
      }
      cgroupReady ??= ensureBuildCgroup(options.buildCgroupParent, options.buildPidsLimit);
      const withCgroup = await cgroupReady;
      const sandbox = new Sandbox(docker, withCgroup ? options : { ...options, buildPidsLimit: 0 }, input.submissionId, ctx.token, ctx.log);
      const started = Date.now();
      try {
        await sandbox.build(project, input.files, ctx.signal);
        const built = Date.now();
        const runSignal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.runTimeoutMs)]);
        await sandbox.up(project, runSignal);
        const checkCtx: CheckContext = { sandbox, project, dockerfiles, signal: runSignal, log: ctx.log };
        const results: CheckResult[] = [];
        for (const check of def.checks) {
          if (ctx.signal.aborted) throw new InfrastructureError('grading was aborted', true);
          const type = CHECK_TYPES[check.type]!;
          let outcome: Outcome;
          if (runSignal.aborted) {
            outcome = { status: 'fail', message: { ja: `制限時間（${options.runTimeoutMs / 1000} 秒）内に確認できませんでした。`, en: `Not checked within the time limit (${options.runTimeoutMs / 1000} s).` } };
          } else {
            outcome = await type.run(type.fields.parse(check) as never, checkCtx);
          }
          results.push(result(check, def.visibility, outcome));
        }
        ctx.log.info({ buildMs: built - started, totalMs: Date.now() - started }, 'docker attempt graded');
        return results;
      } finally {
        await sandbox.down();
      }
    },
  };
}
