import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildRequest } from './builder';
import type { DockerGraderOptions } from './options';

/**
 * Whose cache a build's RUN steps may be answered from. The disk limit is judged on what the
 * attempt's steps write, measured while they run (build-limits.ts); a step BuildKit answers from
 * its cache does not run. So a RUN step is cached only for builds of exactly the same input (the
 * submission's files, the build's settings, the disk limit): a name derived from them goes into
 * every RUN step's extra hosts (`add-hosts`, whose names are part of BuildKit's cache key, their
 * addresses not). The first build of an input runs and measures all of its steps; a later build
 * of it reuses only steps of that input, which together stayed under the limit — unless a build of
 * the input did not end well (a limit, a failing step, the time limit, kadai's failure: steps that
 * finished before it may be cached without the whole having been measured): then it is built with
 * a name of its own (nothing from the cache) and measured whole again. So a build that passes has
 * had all of its steps measured together, in this build or in the one whose cache it reuses.
 * (FROM images, COPY and ADD are cached for everyone; cache mounts are per attempt anyway.)
 */
export function runCacheKey(request: Pick<BuildRequest, 'build' | 'files'>, o: DockerGraderOptions): string {
  const hash = createHash('sha256').update(JSON.stringify({ build: request.build, diskBytes: o.diskBytes }));
  for (const name of [...request.files.keys()].sort()) hash.update(`\0${name}\0${request.files.get(name)!.length}\0`).update(request.files.get(name)!);
  return hash.digest('hex').slice(0, 32);
}

// beside buildkitd's store, as long-lived as its cache
const rebuildDir = (o: DockerGraderOptions) => path.join(o.buildkit.stateDir, 'kadai-rebuild-whole');

/** The name that keys this build's RUN steps in BuildKit's cache: the input's, or a new one when a build of the input did not end well before. */
export async function runCacheSalt(key: string, o: DockerGraderOptions): Promise<string> {
  const over = await access(path.join(rebuildDir(o), key)).then(
    () => true,
    () => false,
  );
  return over ? `${key.slice(0, 16)}${randomBytes(8).toString('hex')}` : key;
}

/** Remembers that a build of this input did not end well: its later builds run every step again. */
export async function markRebuildWhole(key: string, o: DockerGraderOptions): Promise<void> {
  await mkdir(rebuildDir(o), { recursive: true });
  await writeFile(path.join(rebuildDir(o), key), `${new Date().toISOString()}\n`);
}

/** The extra host that carries the salt into every RUN step's cache key. */
export const runCacheHost = (salt: string) => `kadai-run-${salt}=127.0.0.1`;
