import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DOCKER_OPTIONS } from './options';
import { claimRunCache, markRebuildWhole, runCacheKey } from './run-cache';

describe("whose cache a build's RUN steps may come from", () => {
  let stateDir: string;
  beforeAll(() => (stateDir = mkdtempSync(path.join(tmpdir(), 'kadai-run-cache-'))));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const options = () => ({ ...DEFAULT_DOCKER_OPTIONS, buildkit: { ...DEFAULT_DOCKER_OPTIONS.buildkit, stateDir } });
  const build = { context: '.', dockerfile: 'Dockerfile', args: {} };
  const files = (app: string) =>
    new Map([
      ['Dockerfile', Buffer.from('FROM busybox\nRUN echo hi\n')],
      ['app.py', Buffer.from(app)],
    ]);

  it('is one input: the same files and settings give the same key, any change another', () => {
    const key = runCacheKey({ build, files: files('a') }, options());
    expect(runCacheKey({ build, files: files('a') }, options())).toBe(key);
    expect(runCacheKey({ build, files: files('b') }, options())).not.toBe(key);
    expect(runCacheKey({ build: { ...build, args: { X: '1' } }, files: files('a') }, options())).not.toBe(key);
    expect(runCacheKey({ build, files: files('a') }, { ...options(), diskBytes: 1 })).not.toBe(key);
  });

  /** The salt one build of `key` gets, its claim released at once (a build that ended). */
  const saltOf = async (key: string) => {
    const name = await claimRunCache(key, options());
    await name.release();
    return name.salt;
  };

  it("is the input's own until a build of it did not end well, then a new one every build", async () => {
    const key = runCacheKey({ build, files: files('over') }, options());
    expect(await saltOf(key)).toBe(key);
    await markRebuildWhole(key, options());
    const [a, b] = [await saltOf(key), await saltOf(key)];
    expect(a).not.toBe(key);
    expect(b).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is a new one for a build of an input while another build of it is in flight, the input's own again once that one has its verdict", async () => {
    const key = runCacheKey({ build, files: files('twice') }, options());
    const first = await claimRunCache(key, options());
    const second = await claimRunCache(key, options());
    expect(first.salt).toBe(key);
    expect(second.salt).not.toBe(key);
    expect(second.salt).toMatch(/^[0-9a-f]{32}$/);
    await second.release(); // the second's end frees nothing of the first's
    expect((await claimRunCache(key, options())).salt).not.toBe(key);
    await first.release();
    expect(await saltOf(key)).toBe(key);
  });

  /** A claim of `key` left by a build that never released it, older than any build can last. */
  const leftBehind = async (key: string) => {
    const left = await claimRunCache(key, options());
    const past = new Date(Date.now() - DEFAULT_DOCKER_OPTIONS.buildTimeoutMs - 6 * 60_000);
    utimesSync(path.join(stateDir, 'kadai-run-in-flight', key), past, past);
    return left;
  };

  it("takes over a claim a dead worker left once it is older than any build can last", async () => {
    const key = runCacheKey({ build, files: files('left') }, options());
    await leftBehind(key);
    expect(await saltOf(key)).toBe(key);
  });

  it('lets one build only take over a stale claim, however many find it at once', async () => {
    // rounds, as the interleavings that gave two builds the name (one build's removal racing
    // another's takeover) do not come every time
    for (let round = 0; round < 20; round++) {
      const key = runCacheKey({ build, files: files(`left-to-many-${round}`) }, options());
      await leftBehind(key);
      const salts = (await Promise.all(Array.from({ length: 8 }, () => claimRunCache(key, options())))).map((n) => n.salt);
      expect(salts.filter((salt) => salt === key)).toHaveLength(1);
    }
  });

  it('breaks the lock a worker died with inside a removal once it is stale, and takes over the claim', async () => {
    const key = runCacheKey({ build, files: files('lock-left') }, options());
    await leftBehind(key);
    const lock = path.join(stateDir, 'kadai-run-in-flight', `${key}.lock`);
    mkdirSync(lock);
    const past = new Date(Date.now() - 2 * 60_000);
    utimesSync(lock, past, past);
    expect(await saltOf(key)).toBe(key);
    expect(existsSync(lock)).toBe(false);
  });

  it("a build whose claim was taken over frees nothing of the new owner's when it ends after all", async () => {
    const key = runCacheKey({ build, files: files('slow') }, options());
    const slow = await leftBehind(key);
    const taker = await claimRunCache(key, options());
    expect(taker.salt).toBe(key);
    await slow.release();
    expect((await claimRunCache(key, options())).salt).not.toBe(key);
    await taker.release();
    expect(await saltOf(key)).toBe(key);
  });
});
