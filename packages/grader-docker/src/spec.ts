import type { LabDefinition } from '@kadai/catalog';
import { z } from 'zod';

/**
 * The `docker:` section of a docker lab: how a submission is started.
 * - run: `docker run` lines in `runFile`;
 * - build: a Dockerfile kadai builds and runs as one service with `ports`/`env`/`restart`;
 * - compose: a Compose file under one of Compose's default names.
 */
export const dockerSection = z.strictObject({
  input: z.enum(['run', 'build', 'compose']),
  runFile: z.string().min(1).default('run.txt'),
  dockerfile: z.string().min(1).default('Dockerfile'),
  service: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).default('app'),
  ports: z.array(z.number().int().min(1).max(65535)).default([]),
  env: z.record(z.string(), z.string()).default({}),
  command: z.array(z.string()).optional(),
});
export type DockerSection = z.infer<typeof dockerSection>;

export function dockerSectionOf(def: LabDefinition): DockerSection {
  return dockerSection.parse((def as { docker?: unknown }).docker);
}
