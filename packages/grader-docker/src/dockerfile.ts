import { RejectedInputError } from '@kadai/errors';
import type { DockerfileResult, ReferenceParsers } from '@kadai/reference-parsers';
import { buildArgViolation, dockerfileViolations } from './policy';

/** What kadai reads from a Dockerfile's text, as BuildKit reads it (the image itself is inspected after the build). */
export type DockerfileFacts = DockerfileResult;

/**
 * Parses a Dockerfile with BuildKit's parser (in the reference-parsers helper) with the build args
 * the build will get, and refuses what the sandbox policy does not allow, naming the line.
 */
export async function readDockerfile(parsers: ReferenceParsers, file: string, text: string, buildArgs: Record<string, string>, allowedFrontends: readonly string[]): Promise<DockerfileFacts> {
  const badArg = Object.keys(buildArgs).map(buildArgViolation).find(Boolean);
  if (badArg) throw new RejectedInputError(`${file}: ${badArg}`, [{ file, field: 'build.args', message: badArg }]);
  const facts = await parsers.dockerfile(file, text, buildArgs);
  const violations = dockerfileViolations(facts, allowedFrontends);
  if (violations.length > 0) throw new RejectedInputError(`${file} asks for what the sandbox does not allow`, violations.map((v) => ({ file, line: v.line, field: v.field, message: v.message })));
  return facts;
}

/** `python:3.10-slim` and `docker.io/library/python:3.10-slim` are the same; no tag means `latest`. */
export function normalizeImageRef(ref: string): string {
  let r = ref.trim().toLowerCase().replace(/^docker\.io\//, '').replace(/^library\//, '');
  const lastSlash = r.lastIndexOf('/');
  if (!r.includes('@') && !r.slice(lastSlash + 1).includes(':')) r += ':latest';
  return r;
}
