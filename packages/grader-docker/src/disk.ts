import { execFile } from 'node:child_process';
import { readFile, rmdir, statfs } from 'node:fs/promises';
import { UnsafeSandboxError } from './unsafe';

/** What a process prints when a write hits a quota (EDQUOT), e.g. dd: "Disk quota exceeded". */
// A BuildKit step's file hit RLIMIT_FSIZE, set to the same limit (buildkit/build.ts): "File too
// large" (EFBIG), or the step killed by SIGXFSZ (exit code 128 + 25), which most programs get first
export const DISK_QUOTA_MESSAGE = /Disk quota exceeded|File too large|exit code: 153\b/i;
/** ENOSPC from the engine itself: kadai's disk is full, not the student's quota. */
export const ENGINE_DISK_FULL = /no space left on device/i;

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { timeout: 10_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || error.message}`)) : resolve(String(stdout)))),
  );

/** Filesystem uuids by mount point: asked once per process (the mode itself is read every time). */
const uuids = new Map<string, Promise<string | undefined>>();

/** The btrfs quota mode of the filesystem holding `dir`: squota, qgroup or disabled. */
async function quotaMode(dir: string): Promise<string> {
  if (!uuids.has(dir)) uuids.set(dir, run('btrfs', ['filesystem', 'show', dir]).then((out) => /uuid: ([0-9a-f-]+)/.exec(out)?.[1]));
  const uuid = await uuids.get(dir);
  return readFile(`/sys/fs/btrfs/${uuid}/qgroups/mode`, 'utf8').then(
    (m) => m.trim(),
    () => 'qgroup', // kernels before 6.8 have no mode file, and no simple quotas
  );
}

/**
 * kadai's engine keeps every container's writable layer in a btrfs subvolume with quotas on
 * (infra/docker/up): containers the grader creates get `StorageOpt.size`, named volumes a subvolume
 * with a qgroup limit. (BuildKit's build steps are not on this disk: step-disk.ts.)
 */
export class EngineDisk {
  private constructor(
    readonly dataRoot: string,
    /** Simple quotas count what a subvolume writes; full qgroups count all it references, its image included. */
    readonly simpleQuotas: boolean,
  ) {}

  /** Throws (non-retryable) when the engine cannot enforce disk limits: its storage is not btrfs. */
  static async open(info: { Driver?: string; DockerRootDir?: string }): Promise<EngineDisk> {
    if (info.Driver !== 'btrfs' || !info.DockerRootDir) {
      throw new UnsafeSandboxError(`the engine's storage driver is ${info.Driver ?? '?'}, not btrfs, so container disk limits cannot be applied (run infra/docker/up)`);
    }
    return new EngineDisk(info.DockerRootDir, (await quotaMode(info.DockerRootDir)) === 'squota');
  }

  /** The `StorageOpt.size` that lets a container write `bytes` on top of its image. */
  containerSize(imageBytes: number, bytes: number): number {
    return this.simpleQuotas ? bytes : imageBytes + bytes;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.dataRoot);
    return s.bavail * s.bsize;
  }

  /**
   * Bounds a named volume, fresh from the engine: its (empty) `_data` directory becomes a btrfs
   * subvolume with a limit of `bytes`. The engine's `local` driver keeps a volume as a plain
   * directory, outside every container's quota; it still removes it (rmdir of an empty subvolume).
   */
  async limitVolume(mountpoint: string, bytes: number): Promise<void> {
    if (!mountpoint.startsWith(`${this.dataRoot}/volumes/`)) throw new Error(`${mountpoint} is not a volume of the engine's data-root`);
    await rmdir(mountpoint);
    await run('btrfs', ['subvolume', 'create', mountpoint]);
    await run('btrfs', ['qgroup', 'limit', String(bytes), mountpoint]);
  }
}
