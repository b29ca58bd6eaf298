import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DOCKER_OPTIONS } from './options';
import { markRebuildWhole, runCacheKey, runCacheSalt } from './run-cache';

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

  it("is the input's own until a build of it did not end well, then a new one every build", async () => {
    const key = runCacheKey({ build, files: files('over') }, options());
    expect(await runCacheSalt(key, options())).toBe(key);
    await markRebuildWhole(key, options());
    const [a, b] = [await runCacheSalt(key, options()), await runCacheSalt(key, options())];
    expect(a).not.toBe(key);
    expect(b).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });
});
