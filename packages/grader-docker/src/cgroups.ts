import { readdir, readFile, rmdir, mkdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsafeSandboxError } from './unsafe';

const CGROUP_V1_MAGIC = 0x27e0eb;
const CGROUP_V2_MAGIC = 0x63677270;

const unsafe = (message: string, cause?: unknown) => new UnsafeSandboxError(message, cause ? { cause } : undefined);

async function readText(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  );
}

/** "max 12\n" style files (pids.events, memory.events) → the named counter. */
function counter(text: string | undefined, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text ?? '');
  return match ? Number(match[1]) : 0;
}

/**
 * The cgroup filesystem the engine's containers live in (cgroupfs driver). Builds of one attempt go
 * under `/<parent>/<attempt>`: an **absolute** cgroup parent. A relative one is taken by runc as
 * relative to its own cgroup, which depends on how the engine was started, so kadai's pids.max could
 * sit somewhere builds never are (a fork bomb then runs unbounded while nothing says so).
 */
export class CgroupTree {
  private constructor(
    readonly root: string,
    readonly version: 1 | 2,
  ) {}

  /** Throws (non-retryable) unless `root` is a mounted cgroup v1 hierarchy set or a cgroup v2 tree with pids. */
  static async open(root: string): Promise<CgroupTree> {
    const v1 = await statfs(path.join(root, 'pids')).then(
      (s) => s.type === CGROUP_V1_MAGIC,
      () => false,
    );
    if (v1) return new CgroupTree(root, 1);
    const v2 = await statfs(root).then(
      (s) => s.type === CGROUP_V2_MAGIC,
      () => false,
    );
    if (!v2) throw unsafe(`${root} is neither a cgroup v1 pids hierarchy nor a cgroup v2 tree`);
    const controllers = (await readText(path.join(root, 'cgroup.controllers'))) ?? '';
    if (!controllers.split(/\s+/).includes('pids')) throw unsafe(`the pids controller is not available in ${root}`);
    return new CgroupTree(root, 2);
  }

  /** The directory of a cgroup path in a v1 controller's hierarchy (v2: the one tree). */
  dir(cgroupPath: string, controller = 'pids'): string {
    return this.version === 1 ? path.join(this.root, controller, cgroupPath) : path.join(this.root, cgroupPath);
  }

  /** v1: every mounted controller hierarchy (docker creates the container's cgroup in each). */
  async hierarchies(): Promise<string[]> {
    if (this.version === 2) return [this.root];
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(this.root, e.name));
  }
}

/**
 * The cgroup of one attempt's builds: pids.max set for all its build steps together, read back
 * before use (a limit that cannot be applied stops grading), the counters that say which limit
 * stopped a build, and the means to kill every process left in it.
 */
export class BuildCgroup {
  /** The cgroup parent handed to the engine for the build (absolute). */
  readonly path: string;

  constructor(
    private readonly tree: CgroupTree,
    parent: string,
    attempt: string,
    readonly pidsLimit: number,
  ) {
    this.path = `/${parent.replace(/^\/+|\/+$/g, '')}/${attempt}`;
  }

  private get pidsDir(): string {
    return this.tree.dir(this.path);
  }

  /** Creates the cgroup and sets pids.max; throws a non-retryable InfrastructureError unless it reads back. */
  async create(): Promise<void> {
    try {
      if (this.tree.version === 2) await this.enablePidsDownTo(path.dirname(this.path));
      await mkdir(this.pidsDir, { recursive: true });
      await writeFile(path.join(this.pidsDir, 'pids.max'), String(this.pidsLimit));
    } catch (error) {
      throw unsafe(`cannot set the build pids limit in ${this.pidsDir}: ${(error as Error).message}`, error);
    }
    await this.verify();
  }

  /** Reads pids.max back: the limit is in place now, not only once at start-up. */
  async verify(): Promise<void> {
    const max = await readText(path.join(this.pidsDir, 'pids.max'));
    if (max !== String(this.pidsLimit)) throw unsafe(`${path.join(this.pidsDir, 'pids.max')} is ${max ?? 'missing'}, not ${this.pidsLimit}`);
  }

  // cgroup v2: a controller is usable in a child only when every ancestor delegates it.
  private async enablePidsDownTo(cgroupPath: string): Promise<void> {
    let dir = this.tree.root;
    for (const part of ['', ...cgroupPath.split('/').filter(Boolean)]) {
      dir = path.join(dir, part);
      await mkdir(dir, { recursive: true });
      const control = (await readText(path.join(dir, 'cgroup.subtree_control'))) ?? '';
      if (!control.split(/\s+/).includes('pids')) await writeFile(path.join(dir, 'cgroup.subtree_control'), '+pids');
    }
  }

  /**
   * Whether the build's processes fill pids.max now, or a fork failed at it. The kernel counts a
   * failed fork in the forking task's own cgroup (a step's, below this one: BuildKit's are
   * `buildkit/<id>`), so every cgroup below is read too.
   */
  async pidsLimitReached(): Promise<boolean> {
    if (Number(await readText(path.join(this.pidsDir, 'pids.current'))) >= this.pidsLimit) return true;
    for (const dir of await this.subtree()) {
      if (counter(await readText(path.join(dir, 'pids.events')), 'max') > 0) return true;
    }
    return false;
  }

  /** This cgroup's directory and every one below it (pids hierarchy). */
  private async subtree(): Promise<string[]> {
    const dirs: string[] = [];
    const walk = async (dir: string) => {
      dirs.push(dir);
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name));
    };
    await walk(this.pidsDir);
    return dirs;
  }

  /** Whether a build step was killed at its memory limit. */
  async memoryLimitHit(limitBytes: number): Promise<boolean> {
    if (this.tree.version === 2) return counter(await readText(path.join(this.pidsDir, 'memory.events')), 'oom_kill') > 0;
    // v1 keeps no hierarchical OOM count; the subtree's peak usage says whether a step reached its limit
    const peak = Number(await readText(path.join(this.tree.dir(this.path, 'memory'), 'memory.max_usage_in_bytes')));
    return peak >= limitBytes * 0.95;
  }

  /** Each running build step (BuildKit's `buildkit/<id>`: a cgroup below this one that has processes): its id and one of its processes. */
  async steps(): Promise<Array<{ id: string; pid: number }>> {
    const steps: Array<{ id: string; pid: number }> = [];
    for (const dir of (await this.subtree()).slice(1)) {
      const first = (await readText(path.join(dir, 'cgroup.procs')))?.split('\n')[0];
      if (first) steps.push({ id: path.basename(dir), pid: Number(first) });
    }
    return steps;
  }

  /** Every process in the cgroup and below. */
  async processes(): Promise<number[]> {
    const pids: number[] = [];
    for (const dir of await this.subtree()) {
      const procs = await readText(path.join(dir, 'cgroup.procs'));
      for (const line of (procs ?? '').split('\n')) if (line) pids.push(Number(line));
    }
    return pids;
  }

  /**
   * SIGKILLs everything in the cgroup until nothing is left (a fork bomb forks while it is killed;
   * pids.max bounds how many there can be). Returns how many processes were killed; throws if some
   * survive, so a build that outlived its limit is never silent.
   */
  async killAll(): Promise<number> {
    let killed = 0;
    for (let round = 0; round < 100; round++) {
      const pids = await this.processes();
      if (pids.length === 0) return killed;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed++;
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const left = await this.processes();
    if (left.length > 0) throw unsafe(`${left.length} build processes survive SIGKILL in ${this.pidsDir}`);
    return killed;
  }

  /** Removes the (empty) cgroup from every hierarchy the engine created it in. */
  async remove(): Promise<void> {
    for (const hierarchy of await this.tree.hierarchies()) {
      const dir = path.join(hierarchy, this.path);
      const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const child of children) if (child.isDirectory()) await rmdir(path.join(dir, child.name)).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
    }
  }
}
