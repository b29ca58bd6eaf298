import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** The Go helper's module: go.mod, go.sum and its sources decide the binary. */
export const GO_SOURCE_DIR = path.resolve(__dirname, '../go');
export const DEFAULT_CACHE_DIR = '/var/cache/kadai';
const BINARY_NAME = 'kadai-parsers';

/** A hash of everything the binary is built from (not the tests), so a changed source means a new build. */
export function sourceHash(dir = GO_SOURCE_DIR): string {
  const hash = createHash('sha256');
  const names = readdirSync(dir)
    .filter((n) => n === 'go.mod' || n === 'go.sum' || (n.endsWith('.go') && !n.endsWith('_test.go')))
    .sort();
  for (const name of names) hash.update(`${name}\0`).update(readFileSync(path.join(dir, name))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Where the helper built from the current sources lives. */
export function binaryPath(cacheDir = DEFAULT_CACHE_DIR): string {
  return path.join(cacheDir, `reference-parsers-${sourceHash()}`, BINARY_NAME);
}

/**
 * Builds the helper into the cache unless the current sources are already built there (the Go
 * module proxy supplies the modules; about a minute on 2 cores cold, nothing when cached).
 */
export async function ensureBuilt(options: { cacheDir?: string; goBin?: string } = {}): Promise<string> {
  const target = binaryPath(options.cacheDir);
  if (existsSync(target)) return target;
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  try {
    await promisify(execFile)(options.goBin ?? 'go', ['build', '-trimpath', '-o', partial, '.'], { cwd: GO_SOURCE_DIR, maxBuffer: 16 << 20 });
    await rename(partial, target); // atomic: a concurrent build of the same sources writes the same bytes
  } finally {
    await rm(partial, { force: true });
  }
  return target;
}
