import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import * as tarStream from 'tar-stream';

export interface PackOptions {
  /** Called with POSIX paths relative to the folder, for files and folders; true skips it. */
  exclude?: (relPath: string) => boolean;
  /** Paths (relative) left out of the result, whichever layer holds them. */
  remove?: string[];
}

const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);

/** Regular files under `dir`, sorted by path so the same folder always packs the same bytes. */
async function listFiles(dir: string, rel: string, exclude: PackOptions['exclude']): Promise<string[]> {
  const names = (await readdir(join(dir, rel))).sort();
  const out: string[] = [];
  for (const name of names) {
    if (ALWAYS_SKIPPED.has(name)) continue;
    const relPath = rel === '' ? name : `${rel}/${name}`;
    if (exclude?.(relPath)) continue;
    // lstat: symlinks are skipped, never followed (they could point anywhere on the machine,
    // and intake refuses them anyway).
    const stat = await lstat(join(dir, relPath));
    if (stat.isDirectory()) out.push(...(await listFiles(dir, relPath, exclude)));
    else if (stat.isFile()) out.push(relPath);
  }
  return out;
}

/**
 * tar.gz of a folder's regular files, for the CLI to upload. Deterministic: sorted entries, zero
 * timestamps and owners, and gzip's header carries no time — repacking unchanged work gives the
 * same bytes. Only the executable bit of the mode is kept.
 */
export async function packDirectory(dir: string, options: PackOptions = {}): Promise<Buffer> {
  return packLayers([dir], options);
}

/**
 * tar.gz of folders laid over each other: a file in a later folder replaces the same path in an
 * earlier one (a lab's wrong variant written as its solution plus the files that differ).
 */
export async function packLayers(dirs: string[], options: PackOptions = {}): Promise<Buffer> {
  const sources = new Map<string, string>();
  for (const dir of dirs) for (const relPath of await listFiles(dir, '', options.exclude)) sources.set(relPath, join(dir, relPath));
  for (const relPath of options.remove ?? []) sources.delete(relPath);
  const pack = tarStream.pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    gzip.on('end', () => resolve(Buffer.concat(chunks)));
    gzip.on('error', reject);
    pack.on('error', reject);
  });
  pack.pipe(gzip);
  for (const relPath of [...sources.keys()].sort()) {
    const full = sources.get(relPath)!;
    const [data, stat] = await Promise.all([readFile(full), lstat(full)]);
    const mode = stat.mode & 0o111 ? 0o755 : 0o644;
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: relPath, size: data.length, mode, mtime: new Date(0), uid: 0, gid: 0, type: 'file' }, data, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }
  pack.finalize();
  return done;
}
