import { InfrastructureError } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type { BuildCgroup } from './cgroups';
import { DISK_QUOTA_MESSAGE, ENGINE_DISK_FULL } from './disk';
import type { BuiltImage } from './image-disk';
import type { DockerGraderOptions } from './options';
import { diskUsage, stepUpperDir } from './step-disk';

const WATCH_INTERVAL_MS = 100;
const DISK_WATCH_INTERVAL_MS = 1000;

/** The limit that stopped a build, when one did. */
export type BuildLimit = 'time' | 'pids' | 'memory' | 'disk' | 'image size';

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const sum = (values: Iterable<number>) => [...values].reduce((total, v) => total + v, 0);

/**
 * The limits of one attempt's builds, around whichever builder runs them: every build container
 * goes into the attempt's build cgroup (`cgroupParent`, absolute, pids.max for all its steps
 * together, read back before each build), a watch stops the build the moment the pids limit is hit
 * or the writable layers of the attempt's steps hold more than the disk limit together
 * (step-disk.ts), and however the build ends, every process left in the cgroup is killed.
 * `verdict` then says which limit, if any, a failed build ran into — in words the student can act
 * on, the same for the same submission: the disk limit is also held against what the attempt's
 * built images add to their bases (image-disk.ts), which does not depend on BuildKit's cache.
 */
export class BuildLimits {
  /** Set when the watch stopped the build. */
  stoppedBy?: BuildLimit;
  /** The writable layers of the attempt's build steps seen so far (upperdir → the most measured in it), and which ended. */
  private readonly layers = new Map<string, number>();
  private readonly endedLayers = new Set<string>();
  /** What each of the attempt's built images added to its base (image id → bytes). */
  private readonly images = new Map<string, number>();

  constructor(
    private readonly options: DockerGraderOptions,
    private readonly cgroup: BuildCgroup,
    private readonly log: Logger,
  ) {}

  /** The cgroup parent the builder must give every build container. */
  get cgroupParent(): string {
    return this.cgroup.path;
  }

  /**
   * Runs one build under the limits. `build` gets a signal that aborts when the watch stops the
   * build (it must end the build with it). Throws UnsafeSandboxError when processes survive the kill.
   */
  async guard<T>(build: (stop: AbortSignal) => Promise<T>): Promise<T> {
    await this.cgroup.verify();
    this.stoppedBy = undefined;
    const stop = new AbortController();
    const watch = this.watch((limit) => {
      this.stoppedBy ??= limit;
      stop.abort(new Error(`build stopped: ${limit} limit`));
    });
    try {
      return await build(stop.signal);
    } finally {
      await watch.stop();
      const killed = await this.cgroup.killAll();
      if (killed > 0) this.log.info({ killed, limit: this.stoppedBy }, 'killed the processes a stopped build left');
    }
  }

  /**
   * Polls the build cgroup: stops the build at the pids limit (every 100 ms) and when the writable
   * layers of the attempt's steps hold more than `diskBytes` together (each running step measured
   * about once a second, each ended one once more).
   */
  private watch(stopAt: (limit: BuildLimit) => void): { stop: () => Promise<void> } {
    let running = true;
    const every = async (ms: number, poll: () => Promise<void>) => {
      while (running) {
        await poll();
        await new Promise((resolve) => setTimeout(resolve, ms));
      }
    };
    const pids = every(WATCH_INTERVAL_MS, async () => {
      if (await this.cgroup.pidsLimitReached()) stopAt('pids');
    });
    const disk = every(DISK_WATCH_INTERVAL_MS, async () => {
      const running = new Set<string>();
      for (const pid of await this.cgroup.stepPids()) {
        const upper = await stepUpperDir(pid);
        if (upper) running.add(upper);
      }
      // running steps' layers, and once more each layer whose step has ended since (its last writes)
      const ended = [...this.layers.keys()].filter((layer) => !running.has(layer) && !this.endedLayers.has(layer));
      for (const layer of [...running, ...ended]) {
        const used = await diskUsage(layer, this.options.diskBytes);
        this.layers.set(layer, Math.max(used, this.layers.get(layer) ?? 0));
      }
      for (const layer of ended) this.endedLayers.add(layer);
      const written = sum(this.layers.values());
      if (written > this.options.diskBytes) {
        this.log.info({ layers: this.layers.size, written }, "the attempt's build steps passed the disk limit");
        stopAt('disk');
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all([pids, disk]);
      },
    };
  }

  /**
   * Which of kadai's limits a finished build ran into, with the student-facing reason; undefined
   * when none did (a failure is then judged by the builder: the student's step, or kadai's
   * trouble). `error` is the build's failure, `log` its output. A built image above the size limit
   * fails too. The engine's own disk running out is kadai's: InfrastructureError, retried.
   */
  async verdict(error: string | undefined, log: string, image: () => Promise<BuiltImage>): Promise<{ limit: BuildLimit; error: string } | undefined> {
    const o = this.options;
    if (this.stoppedBy === 'pids' || (error !== undefined && (await this.cgroup.pidsLimitReached()))) {
      return { limit: 'pids', error: `the build was stopped at the process limit (${o.buildPidsLimit} processes for all build steps)` };
    }
    const diskLimit = { limit: 'disk' as const, error: `the build reached the disk limit (${mib(o.diskBytes)} MiB written by all of the attempt's build steps together)` };
    if (this.stoppedBy === 'disk') return diskLimit;
    if (error !== undefined && DISK_QUOTA_MESSAGE.test(`${log}\n${error}`)) {
      return { limit: 'disk', error: `a build step reached the disk limit (${mib(o.diskBytes)} MiB per file a step writes): ${error}` };
    }
    if (error !== undefined && ENGINE_DISK_FULL.test(error)) throw new InfrastructureError(`kadai's engine ran out of disk during a build: ${error}`, true);
    if (error !== undefined && /code: 137\b/.test(error) && (await this.cgroup.memoryLimitHit(o.buildMemoryBytes))) {
      return { limit: 'memory', error: `a build step was killed at the memory limit (${mib(o.buildMemoryBytes)} MiB): ${error}` };
    }
    if (error === undefined) {
      const built = await image();
      this.images.set(built.id, built.ownBytes);
      if (sum(this.images.values()) > o.diskBytes) return diskLimit;
      if (built.size > o.maxImageBytes) return { limit: 'image size', error: `the image is ${mib(built.size)} MiB, above the image size limit (${mib(o.maxImageBytes)} MiB)` };
    }
    return undefined;
  }
}
