import type Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { engine } from './engine';
import { UnsafeSandboxError } from './unsafe';

/** What a process prints when a write hits a quota (EDQUOT), e.g. dd: "Disk quota exceeded". */
export const DISK_QUOTA_MESSAGE = /Disk quota exceeded/i;
/** ENOSPC from the engine itself: kadai's disk is full, not the student's quota. */
export const ENGINE_DISK_FULL = /no space left on device/i;

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { timeout: 10_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || error.message}`)) : resolve(String(stdout)))),
  );

/** The btrfs quota mode of the filesystem holding `dir`: squota, qgroup or disabled. */
async function quotaMode(dir: string): Promise<string> {
  const uuid = /uuid: ([0-9a-f-]+)/.exec(await run('btrfs', ['filesystem', 'show', dir]))?.[1];
  return readFile(`/sys/fs/btrfs/${uuid}/qgroups/mode`, 'utf8').then(
    (m) => m.trim(),
    () => 'qgroup', // kernels before 6.8 have no mode file, and no simple quotas
  );
}

/**
 * kadai's engine keeps every container's writable layer in a btrfs subvolume with quotas on
 * (infra/docker/up). Containers the grader creates get `StorageOpt.size`; the legacy builder's step
 * containers cannot, so the build watch puts an exclusive-bytes qgroup limit on each step
 * container's subvolume as soon as it appears in the attempt's build cgroup.
 */
export class EngineDisk {
  private constructor(
    readonly dataRoot: string,
    /** Simple quotas count what a subvolume writes; full qgroups count all it references, its image included. */
    readonly simpleQuotas: boolean,
  ) {}

  /** Throws (non-retryable) when the engine cannot enforce disk limits: its storage is not btrfs. */
  static async open(docker: Docker): Promise<EngineDisk> {
    const info = (await engine('info', () => docker.info())) as { Driver?: string; DockerRootDir?: string };
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

  /** Limits what a container may write (bytes not shared with its image) by a btrfs qgroup limit. */
  async limitContainer(containerId: string, bytes: number): Promise<void> {
    const mountId = (await readFile(path.join(this.dataRoot, 'image', 'btrfs', 'layerdb', 'mounts', containerId, 'mount-id'), 'utf8')).trim();
    const subvolume = path.join(this.dataRoot, 'btrfs', 'subvolumes', mountId);
    await run('btrfs', ['qgroup', 'limit', '-e', String(bytes), subvolume]);
  }
}
