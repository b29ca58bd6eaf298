import { InfrastructureError } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type { BuildCgroup } from './cgroups';
import { DISK_QUOTA_MESSAGE, ENGINE_DISK_FULL, type EngineDisk } from './disk';
import type { DockerGraderOptions } from './options';
import { UnsafeSandboxError } from './unsafe';

const WATCH_INTERVAL_MS = 100;

/** The limit that stopped a build, when one did. */
export type BuildLimit = 'time' | 'pids' | 'memory' | 'disk' | 'image size';

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * The limits of one attempt's builds, around whichever builder runs them: every build container
 * goes into the attempt's build cgroup (`cgroupParent`, absolute, pids.max for all its steps
 * together, read back before each build), a watch stops the build the moment the pids limit is hit
 * and puts the disk limit on each step container's writable layer as it appears, and however the
 * build ends, every process left in the cgroup is killed. `verdict` then says which limit, if any,
 * a failed build ran into — in words the student can act on, the same for the same submission.
 */
export class BuildLimits {
  /** Set when the watch stopped the build. */
  stoppedBy?: BuildLimit;

  constructor(
    private readonly options: DockerGraderOptions,
    private readonly cgroup: BuildCgroup,
    private readonly disk: EngineDisk,
    private readonly log: Logger,
  ) {}

  /** The cgroup parent the builder must give every build container. */
  get cgroupParent(): string {
    return this.cgroup.path;
  }

  /**
   * Runs one build under the limits. `build` gets a signal that aborts when the watch stops the
   * build (it must end the build with it). Throws UnsafeSandboxError when a limit could not be put
   * on a running step, or processes survive the kill.
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
      // eslint-disable-next-line no-unsafe-finally -- a limit that could not be applied outranks the build's own outcome
      if (watch.failure) throw watch.failure;
    }
  }

  /** Polls the build cgroup: stops the build at the pids limit, puts the disk limit on each new step container. */
  private watch(stopAt: (limit: BuildLimit) => void): { stop: () => Promise<void>; failure?: UnsafeSandboxError } {
    const limited = new Set<string>();
    const state: { stop: () => Promise<void>; failure?: UnsafeSandboxError } = { stop: async () => undefined };
    let running = true;
    const loop = (async () => {
      while (running) {
        if (await this.cgroup.pidsLimitReached()) stopAt('pids');
        for (const id of await this.cgroup.containerIds()) {
          if (limited.has(id)) continue;
          try {
            await this.disk.limitContainer(id, this.options.diskBytes);
            limited.add(id);
          } catch (error) {
            // the step may have ended in between (its layer is gone): only a live step without a limit is unsafe
            if ((await this.cgroup.containerIds()).includes(id)) {
              state.failure = new UnsafeSandboxError(`cannot limit the disk of build step ${id.slice(0, 12)}: ${(error as Error).message}`, { cause: error });
              stopAt('disk');
              return;
            }
          }
        }
        await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      }
    })();
    state.stop = async () => {
      running = false;
      await loop;
    };
    return state;
  }

  /**
   * Which of kadai's limits a finished build ran into, with the student-facing reason; undefined
   * when none did (a failure is then judged by the builder: the student's step, or kadai's
   * trouble). `error` is the build's failure, `log` its output. A built image above the size limit
   * fails too. The engine's own disk running out is kadai's: InfrastructureError, retried.
   */
  async verdict(error: string | undefined, log: string, imageBytes: () => Promise<number>): Promise<{ limit: BuildLimit; error: string } | undefined> {
    const o = this.options;
    if (this.stoppedBy === 'pids' || (error !== undefined && (await this.cgroup.pidsLimitReached()))) {
      return { limit: 'pids', error: `the build was stopped at the process limit (${o.buildPidsLimit} processes for all build steps)` };
    }
    if (error !== undefined && DISK_QUOTA_MESSAGE.test(`${log}\n${error}`)) {
      return { limit: 'disk', error: `a build step reached the disk limit (${mib(o.diskBytes)} MiB per file a step writes): ${error}` };
    }
    if (error !== undefined && ENGINE_DISK_FULL.test(error)) throw new InfrastructureError(`kadai's engine ran out of disk during a build: ${error}`, true);
    if (error !== undefined && /code: 137\b/.test(error) && (await this.cgroup.memoryLimitHit(o.buildMemoryBytes))) {
      return { limit: 'memory', error: `a build step was killed at the memory limit (${mib(o.buildMemoryBytes)} MiB): ${error}` };
    }
    if (error === undefined) {
      const size = await imageBytes();
      if (size > o.maxImageBytes) return { limit: 'image size', error: `the image is ${mib(size)} MiB, above the image size limit (${mib(o.maxImageBytes)} MiB)` };
    }
    return undefined;
  }
}
