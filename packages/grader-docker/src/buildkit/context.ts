import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface BuildDirectory {
  /** A private temporary directory: the context below it, the build's other files beside it. */
  root: string;
  /** The build context (`--local context=<dir>`). */
  context: string;
  /** How many files the context holds. */
  count: number;
  remove: () => Promise<void>;
}

/**
 * A build context on disk for buildctl: the submission's files under the service's context folder,
 * in a private temporary directory removed after the build. Only regular files from the submission
 * (whose paths intake already checked); shell scripts executable, as the student's checkout would
 * have them.
 */
export async function writeContext(context: string, files: Map<string, Buffer>): Promise<BuildDirectory> {
  const root = await mkdtemp(path.join(tmpdir(), 'kadai-buildkit-'));
  const dir = path.join(root, 'context');
  const remove = () => rm(root, { recursive: true, force: true });
  const prefix = context === '.' ? '' : `${context.replace(/\/+$/, '')}/`;
  let count = 0;
  try {
    await mkdir(dir);
    for (const [rel, data] of files) {
      if (!rel.startsWith(prefix)) continue;
      const target = path.resolve(dir, rel.slice(prefix.length));
      if (!target.startsWith(`${dir}${path.sep}`)) continue;
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, data, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
      count++;
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { root, context: dir, count, remove };
}
