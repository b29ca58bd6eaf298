import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A BuildKit step's writable layer: buildkitd's overlayfs snapshotter mounts each RUN step's root
 * as an overlay whose `upperdir` holds everything the step writes (on the host's disk, outside the
 * engine's btrfs quotas). Read from the step's own process: its root mount in /proc/<pid>/mountinfo.
 * Undefined when the process is gone or its root is not (yet) such an overlay (runc's init before
 * it enters the container).
 */
export async function stepUpperDir(pid: number): Promise<string | undefined> {
  return rootUpperDir(await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => ''));
}

/** The upperdir of the overlay mounted on `/` in a mountinfo text. */
export function rootUpperDir(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const [before, after] = line.split(' - ');
    if (before?.split(' ')[4] !== '/' || !after) continue;
    const [fstype, , superOptions] = after.split(' ');
    if (fstype !== 'overlay') continue;
    const upper = /(?:^|,)upperdir=([^,]+)/.exec(superOptions ?? '')?.[1];
    // mountinfo escapes space, tab, newline and backslash as \ooo
    if (upper) return upper.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/**
 * What a directory tree holds on disk (allocated blocks, so a sparse file counts what it really
 * uses), counted until it passes `stopAbove`. A tree of many small files is walked as it is: the
 * walk takes longer, the build keeps running under its other limits meanwhile.
 */
export async function diskUsage(dir: string, stopAbove: number): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0 && total <= stopAbove) {
    const current = pending.pop()!;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      const stat = await lstat(full).catch(() => undefined);
      if (!stat) continue;
      total += stat.blocks * 512;
      if (entry.isDirectory()) pending.push(full);
    }
  }
  return total;
}
