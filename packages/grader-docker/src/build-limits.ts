import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type { BuildCgroup } from './cgroups';
import { DISK_QUOTA_MESSAGE, ENGINE_DISK_FULL } from './disk';
import type { BuiltImage } from './image-disk';
import type { DockerGraderOptions } from './options';
import { diskUsage, stepCommand, stepWritableDirs } from './step-disk';

const WATCH_INTERVAL_MS = 100;
const DISK_WATCH_INTERVAL_MS = 1000;

/** The limit that stopped a build, when one did. */
export type BuildLimit = 'time' | 'pids' | 'memory' | 'disk' | 'image size';

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const sum = (values: Iterable<number>) => [...values].reduce((total, v) => total + v, 0);

/** A directory a build step of the attempt can write in buildkitd's store (step-disk.ts). */
interface StepDir {
  /** The most measured in it. */
  bytes: number;
  /** The step that mounted it first (its command), for the student's message. */
  step?: string;
  /** Measured once more after its steps ended (their last writes). */
  final: boolean;
}

/**
 * The limits of one attempt's builds, around whichever builder runs them: every build container
 * goes into the attempt's build cgroup (`cgroupParent`, absolute, pids.max for all its steps
 * together, read back before each build), a watch stops the build the moment the pids limit is hit
 * or the directories the attempt's steps write in buildkitd's store (their layers, cache mounts,
 * `bind,rw` copies: step-disk.ts) hold more than the disk limit together, and however the build
 * ends, every process left in the cgroup is killed. `verdict` then says which limit, if any, a
 * build ran into — in words the student can act on, the same for the same submission: the disk
 * limit is also held against what the attempt's built images add to their bases (image-disk.ts,
 * from content); the steps BuildKit answers from its cache are the same submission's own, whose
 * run was measured (run-cache.ts).
 */
export class BuildLimits {
  /** Set when the watch stopped the build. */
  stoppedBy?: BuildLimit;
  /** Every directory the attempt's build steps have written in buildkitd's store (path → what it holds). */
  private readonly dirs = new Map<string, StepDir>();
  /** The directories of the steps running at the last look. */
  private running = new Set<string>();
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
      // the last writes of the steps that ended since the watch's last measure
      await this.measure(false);
    }
  }

  /**
   * Polls the build cgroup every 100 ms: stops the build at the pids limit, and finds the
   * directories each running step writes; about once a second, measures them (a running step's,
   * and once more each one whose steps have ended) and stops the build when they hold more than
   * `diskBytes` together.
   */
  private watch(stopAt: (limit: BuildLimit) => void): { stop: () => Promise<void> } {
    // Stopping wakes the loops from their pause: waiting out the disk loop's second added up to 1 s
    // to every build (each build was ~1.0 s however quick, bench/docker-labs.ts).
    const stopped = new AbortController();
    const every = async (ms: number, poll: () => Promise<void>) => {
      while (!stopped.signal.aborted) {
        await poll();
        await sleep(ms, undefined, { signal: stopped.signal }).catch(() => undefined);
      }
    };
    const steps = every(WATCH_INTERVAL_MS, async () => {
      if (await this.cgroup.pidsLimitReached()) stopAt('pids');
      await this.findStepDirs();
    });
    const disk = every(DISK_WATCH_INTERVAL_MS, async () => {
      if ((await this.measure(true)) > this.options.diskBytes) stopAt('disk');
    });
    return {
      stop: async () => {
        stopped.abort();
        await Promise.all([steps, disk]);
      },
    };
  }

  /** Notes the store directories of the steps running now (a new one with its step's command). */
  private async findStepDirs(): Promise<void> {
    const now = new Set<string>();
    const store = this.options.buildkit.stateDir;
    for (const step of await this.cgroup.steps()) {
      for (const dir of await stepWritableDirs(step.pid, store)) {
        now.add(dir);
        const seen = this.dirs.get(dir) ?? { bytes: 0, final: false };
        this.dirs.set(dir, seen);
        seen.final = false; // new, or a cache mount a later step uses again
        seen.step ??= await stepCommand(store, step.id);
      }
    }
    this.running = now;
  }

  /**
   * Measures the running steps' directories (`whileRunning`; all of them when the build is over)
   * and those whose steps ended since; returns what all of the attempt's hold together.
   */
  private async measure(whileRunning: boolean): Promise<number> {
    for (const [dir, seen] of this.dirs) {
      if (seen.final) continue;
      const used = await diskUsage(dir, this.options.diskBytes);
      seen.bytes = Math.max(used, seen.bytes);
      seen.final = !(whileRunning && this.running.has(dir));
    }
    const written = sum([...this.dirs.values()].map((d) => d.bytes));
    if (written > this.options.diskBytes) this.log.info({ dirs: this.dirs.size, written }, "the attempt's build steps passed the disk limit");
    return written;
  }

  /** The disk limit's verdict, naming how much was written and the step that wrote most. */
  private diskVerdict(): { limit: 'disk'; error: string } {
    const top = [...this.dirs.values()].sort((a, b) => b.bytes - a.bytes)[0];
    const steps = sum([...this.dirs.values()].map((d) => d.bytes));
    const images = sum(this.images.values());
    const what =
      steps > this.options.diskBytes
        ? `its steps wrote ${mib(steps)} MiB${top?.step ? `, the most (${mib(top.bytes)} MiB) by \`${top.step.slice(0, 200)}\`` : ''}`
        : `its images add ${mib(images)} MiB to their base images`;
    return { limit: 'disk', error: `the build reached the disk limit (${mib(this.options.diskBytes)} MiB written by all of the attempt's build steps together): ${what}` };
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
    // a file at the limit is said first: whether the watch also saw the step's layer pass it is a matter of timing
    if (error !== undefined && DISK_QUOTA_MESSAGE.test(`${log}\n${error}`)) {
      return { limit: 'disk', error: `a build step reached the disk limit (${mib(o.diskBytes)} MiB per file a step writes): ${error}` };
    }
    // the watch's stop, or the last writes measured after the build ended
    if (this.stoppedBy === 'disk' || sum([...this.dirs.values()].map((d) => d.bytes)) > o.diskBytes) return this.diskVerdict();
    if (error !== undefined && ENGINE_DISK_FULL.test(error)) throw new InfrastructureError(`kadai's engine ran out of disk during a build: ${error}`, true);
    if (error !== undefined && /code: 137\b/.test(error) && (await this.cgroup.memoryLimitHit(o.buildMemoryBytes))) {
      return { limit: 'memory', error: `a build step was killed at the memory limit (${mib(o.buildMemoryBytes)} MiB): ${error}` };
    }
    if (error === undefined) {
      const built = await image();
      this.images.set(built.id, built.ownBytes);
      if (sum(this.images.values()) > o.diskBytes) return this.diskVerdict();
      if (built.size > o.maxImageBytes) return { limit: 'image size', error: `the image is ${mib(built.size)} MiB, above the image size limit (${mib(o.maxImageBytes)} MiB)` };
    }
    return undefined;
  }
}
