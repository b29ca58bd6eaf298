import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * finished before it may be cached without the whole having been measured), or one is running
 * right now (claimRunCache): then it is built with a name of its own (nothing from the cache) and
 * measured whole again. So a build that passes has had all of its steps measured together, in this
 * build or in the one whose cache it reuses, which had ended.
 * (FROM images, COPY and ADD are cached for everyone; cache mounts are per attempt anyway.)
 */
export function runCacheKey(request: Pick<BuildRequest, 'build' | 'files'>, o: DockerGraderOptions): string {
  const hash = createHash('sha256').update(JSON.stringify({ build: request.build, diskBytes: o.diskBytes }));
  for (const name of [...request.files.keys()].sort()) hash.update(`\0${name}\0${request.files.get(name)!.length}\0`).update(request.files.get(name)!);
  return hash.digest('hex').slice(0, 32);
}

// beside buildkitd's store, as long-lived as its cache
const rebuildDir = (o: DockerGraderOptions) => path.join(o.buildkit.stateDir, 'kadai-rebuild-whole');
const inFlightDir = (o: DockerGraderOptions) => path.join(o.buildkit.stateDir, 'kadai-run-in-flight');
/** A claim older than any build can last (its time limit, the transfer to the engine, the verdict) was left by a worker that died. */
const staleAfterMs = (o: DockerGraderOptions) => o.buildTimeoutMs + 5 * 60_000;

/** The name a build's RUN steps are cached under, held until the build has its verdict. */
export interface RunCacheName {
  salt: string;
  /** The build has its verdict (and its input's marker, markRebuildWhole, is written): the input's name is free again. */
  release(): Promise<void>;
}

const ownName = (key: string) => `${key.slice(0, 16)}${randomBytes(8).toString('hex')}`;

/**
 * The name that keys this build's RUN steps in BuildKit's cache: the input's — or a new one when a
 * build of the input did not end well before, or when one is running now. Two builds of the same
 * input at once (the same submission twice, a regrade beside a grading, on any worker of this
 * buildkitd) would otherwise share their identical steps: BuildKit runs such a step once, in the
 * build cgroup of whichever asked first, so the other build's watch measures nothing of it and a
 * step the first finished before its verdict would be reused unmeasured — the two verdicts could
 * differ. The input's name is claimed with a file per input (created exclusively, so across
 * workers) until `release`; a build that finds it claimed runs every step under a name of its own.
 */
export async function claimRunCache(key: string, o: DockerGraderOptions): Promise<RunCacheName> {
  const claim = path.join(inFlightDir(o), key);
  const stamp = `${process.pid} ${new Date().toISOString()} ${randomBytes(8).toString('hex')}\n`;
  const create = () => writeFile(claim, stamp, { flag: 'wx' }).then(() => true);
  const claimed = await mkdir(inFlightDir(o), { recursive: true })
    .then(create)
    .catch(async (error: NodeJS.ErrnoException) => {
      // in flight elsewhere, or no claim can be written (a full disk): a name of its own
      if (error.code !== 'EEXIST' || !(await removeIfStale(claim, staleAfterMs(o)))) return false;
      return create().catch(() => false);
    });
  if (!claimed) return { salt: ownName(key), release: async () => undefined };
  const over = await access(path.join(rebuildDir(o), key)).then(
    () => true,
    () => false,
  );
  return { salt: over ? ownName(key) : key, release: () => removeIf(claim, (content) => content === stamp) };
}

/** How long ago the file was last written; 0 when it is gone. */
const ageOf = (file: string) => stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);

/**
 * Removes a claim older than `staleAfterMs` (its worker died); true once it is gone. Claims are
 * only ever created exclusively, so of several workers that find the same stale claim, one removes
 * it and one creates the next: each removes only the very claim it judged stale.
 */
async function removeIfStale(claim: string, staleAfterMs: number): Promise<boolean> {
  const content = await readFile(claim, 'utf8').catch(() => undefined);
  if (content === undefined) return true; // released meanwhile
  if ((await ageOf(claim)) < staleAfterMs) return false;
  await removeIf(claim, (now) => now === content);
  return true;
}

/** How long a removal waits for another's; then the claim stays (its input is built under names of their own until it goes). */
const LOCK_WAIT_MS = 5_000;
/** A removal takes milliseconds: a lock this old was left by a worker that died inside one. */
const LOCK_STALE_MS = 60_000;

/** Makes the directory; false if it exists, and any other failure (no folder, a full disk) thrown. */
const makeExclusive = (dir: string) =>
  mkdir(dir).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );

/**
 * Removes the claim if `test` holds for its content, never another's. Removals take the claim's
 * lock (a directory made exclusively beside it) and claims are only created where none is, so the
 * claim read under the lock is the one unlinked. (Moving it aside to read it, as before, left a
 * moment with no claim, in which a third build could claim the input beside the owner whose claim
 * was then not put back.) Gives up, leaving the claim, when the lock stays taken or cannot be made.
 */
async function removeIf(claim: string, test: (content: string) => boolean): Promise<void> {
  const lock = `${claim}.lock`;
  try {
    for (const deadline = Date.now() + LOCK_WAIT_MS; !(await makeExclusive(lock)); await sleep(5)) {
      if (Date.now() > deadline) return;
      if ((await ageOf(lock)) > LOCK_STALE_MS) await breakStaleLock(lock);
    }
  } catch {
    return;
  }
  try {
    const content = await readFile(claim, 'utf8').catch(() => undefined);
    if (content !== undefined && test(content)) await rm(claim, { force: true });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Removes a lock its holder died with. Breaking it is guarded in turn, and the lock judged again
 * under the guard: of two workers that found it stale, the second would otherwise remove the
 * fresh lock the first had taken since. (A guard is held for a stat and an rmdir; one older than
 * LOCK_STALE_MS means a second worker died inside it.)
 */
async function breakStaleLock(lock: string): Promise<void> {
  const guard = `${lock}.break`;
  if (!(await makeExclusive(guard))) {
    if ((await ageOf(guard)) > LOCK_STALE_MS) await rm(guard, { recursive: true, force: true });
    return;
  }
  try {
    if ((await ageOf(lock)) > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

/** Remembers that a build of this input did not end well: its later builds run every step again. */
export async function markRebuildWhole(key: string, o: DockerGraderOptions): Promise<void> {
  await mkdir(rebuildDir(o), { recursive: true });
  await writeFile(path.join(rebuildDir(o), key), `${new Date().toISOString()}\n`);
}

/** The extra host that carries the salt into every RUN step's cache key. */
export const runCacheHost = (salt: string) => `kadai-run-${salt}=127.0.0.1`;
