import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One line of a mountinfo text: what is mounted where, read-only or not, and its options. */
interface MountLine {
  device: string;
  /** The mounted directory's path inside its own filesystem (a bind mount's source). */
  root: string;
  mountPoint: string;
  writable: boolean;
  fstype: string;
  superOptions: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo
const unescape = (text: string) => text.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function mountLines(mountinfo: string): MountLine[] {
  const lines: MountLine[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const [before, after] = line.split(' - ');
    const fields = before?.split(' ') ?? [];
    if (fields.length < 6 || !after) continue;
    const [fstype = '', , superOptions = ''] = after.split(' ');
    lines.push({ device: fields[2]!, root: unescape(fields[3]!), mountPoint: unescape(fields[4]!), writable: fields[5]!.split(',').includes('rw'), fstype, superOptions });
  }
  return lines;
}

const upperDirOf = (mount: MountLine) => {
  const upper = /(?:^|,)upperdir=([^,]+)/.exec(mount.superOptions)?.[1];
  return upper ? unescape(upper) : undefined;
};

/**
 * Where a BuildKit step can write on the host's disk: the upperdir of every writable overlay it has
 * mounted (its root, `RUN --mount=type=bind,rw`, a cache mount on a parent) and the host path of
 * every writable bind mount (a fresh `RUN --mount=type=cache` is its snapshot's directory, bound)
 * — those inside buildkitd's store (`storeDir`) only, and only once the step's root is its own
 * overlay; tmpfs mounts are memory, charged to the step's memory limit. `hostMountinfo` (kadai's own) turns a bind mount's source into a host path.
 */
export function writableStoreDirs(stepMountinfo: string, hostMountinfo: string, storeDir: string): string[] {
  const mounts = mountLines(stepMountinfo);
  const store = `${storeDir.replace(/\/$/, '')}/`;
  // before runc's init has entered the step's root it still sees buildkitd's mounts, other builds'
  // steps among them; the step's own root is an overlay whose upperdir is in the store (buildkitd's
  // own root may be an overlay too, when it runs in a container on overlay2). Right after its
  // pivot_root the old root is still stacked on '/' until runc detaches it, other builds' steps
  // with it: seen then (a loaded machine's CI run did), they were counted as this step's. So the
  // step's root must be the only mount on '/'.
  const roots = mounts.filter((m) => m.mountPoint === '/');
  if (roots.length !== 1 || roots[0]!.fstype !== 'overlay' || !upperDirOf(roots[0]!)?.startsWith(store)) return [];
  const host = mountLines(hostMountinfo);
  const dirs = new Set<string>();
  for (const mount of mounts) {
    if (!mount.writable) continue;
    // an overlay writes into its upperdir; a bind mount into its source, found where the host
    // mounts the same device (one of those places is inside the store, or it is not the store's)
    const places =
      mount.fstype === 'overlay'
        ? [upperDirOf(mount)]
        : host.filter((h) => h.device === mount.device && (mount.root === h.root || mount.root.startsWith(`${h.root.replace(/\/$/, '')}/`))).map((h) => path.join(h.mountPoint, path.relative(h.root, mount.root)));
    const inStore = places.find((place) => place?.startsWith(store));
    if (inStore) dirs.add(inStore);
  }
  return [...dirs];
}

/**
 * The writable directories of a running BuildKit step in buildkitd's store (writableStoreDirs),
 * read from its own process's mountinfo. Empty when the process is gone or not (yet) in the step's
 * mounts (runc's init before it enters the container).
 */
export async function stepWritableDirs(pid: number, storeDir: string): Promise<string[]> {
  const [step, host] = await Promise.all([readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => ''), readFile('/proc/self/mountinfo', 'utf8')]);
  return writableStoreDirs(step, host, storeDir);
}

/**
 * What a step runs, for the student's message: the command BuildKit gave runc, from the step's
 * bundle (`<store>/root/runc-overlayfs/executor/<id>/config.json`, named like its cgroup) — a
 * process's own command line changes when its shell executes the last command itself.
 */
export async function stepCommand(storeDir: string, id: string): Promise<string | undefined> {
  const config = await readFile(path.join(storeDir, 'root', 'runc-overlayfs', 'executor', path.basename(id), 'config.json'), 'utf8').catch(() => '');
  try {
    const args = (JSON.parse(config) as { process?: { args?: unknown } }).process?.args;
    return Array.isArray(args) ? args.join(' ') : undefined;
  } catch {
    return undefined; // gone with its step
  }
}

/**
 * What a directory tree (or a single file) holds on disk (allocated blocks, so a sparse file counts
 * what it really uses), counted until it passes `stopAbove`. A tree of many small files is walked
 * as it is: the walk takes longer, the build keeps running under its other limits meanwhile.
 */
export async function diskUsage(dir: string, stopAbove: number): Promise<number> {
  const top = await lstat(dir).catch(() => undefined);
  if (!top) return 0;
  if (!top.isDirectory()) return top.blocks * 512;
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
