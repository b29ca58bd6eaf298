import { InfrastructureError } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { probeBuildStep } from './buildkit/build';
import { BuildCgroup, CgroupTree } from './cgroups';
import { EngineDisk } from './disk';
import { engine } from './engine';
import { ensureBuildNetwork, ensureHostIsolation } from './isolation';
import { UnsafeSandboxError } from './unsafe';
import type { DockerGraderOptions } from './options';

/** Whether this grader may grade: every sandbox limit checked in place, or what is missing. */
export interface SafetyStatus {
  ok: boolean;
  problems: string[];
  checkedAt: string;
}

/** What an attempt uses to enforce its limits, found in place by `SandboxSafety.ensure`. */
export interface AttemptLimits {
  cgroups: CgroupTree;
  disk: EngineDisk;
}

/**
 * The limits an attempt relies on are checked, not assumed: before every attempt (host isolation
 * rules in effect — present and not shadowed —, the engine on cgroupfs with a pids controller and
 * on btrfs for disk limits, enough free disk), and at start-up and periodically by a probe build
 * that proves a RUN step really lands in kadai's build cgroup. A limit that cannot be applied is an
 * InfrastructureError (non-retryable; retryable for the host isolation rules) and marks the status unsafe (the worker reports it; the API's /readyz turns false) — never a build
 * that runs without it.
 */
export class SandboxSafety {
  /** ok: no limit is known to be missing (the worker runs selfTest before it takes any job). */
  status: SafetyStatus = { ok: true, problems: [], checkedAt: new Date(0).toISOString() };
  /** Called when the status changes (the worker publishes it). */
  onChange?: (status: SafetyStatus) => void;
  private buildNetworkReady?: Promise<void>;
  /** What the last probe build found wrong; holds until a probe passes. */
  private probeProblem?: string;
  /** The probe under way: attempts wait for it (the first one at start-up above all). */
  private probing?: Promise<SafetyStatus>;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerGraderOptions,
  ) {}

  private record(problem?: string): void {
    const changed = this.status.ok !== !problem || this.status.problems[0] !== problem;
    this.status = { ok: !problem, problems: problem ? [problem] : [], checkedAt: new Date().toISOString() };
    if (changed) this.onChange?.(this.status);
  }

  /** Everything an attempt needs in place; throws (and records the status) when something is not. */
  async ensure(): Promise<AttemptLimits> {
    try {
      await this.probing;
      if (this.probeProblem) throw new UnsafeSandboxError(this.probeProblem);
      const limits = await this.check();
      this.record();
      return limits;
    } catch (error) {
      // an engine that is merely full or away is retried; it does not make the sandbox unsafe
      this.report(error);
      throw error;
    }
  }

  /** A limit found missing during an attempt (a build cgroup, a step's disk limit) makes the grader unsafe too. */
  report(error: unknown): void {
    if (error instanceof UnsafeSandboxError) this.record(error.message);
  }

  private async check(): Promise<AttemptLimits> {
    if (this.options.isolateFromHost) {
      // retryable: rules another program shadowed or removed are put back by the next try (or another worker)
      await ensureHostIsolation().catch((error: unknown) => {
        throw new UnsafeSandboxError(`cannot isolate attempt networks from the host: ${(error as Error).message}`, { cause: error, retryable: true });
      });
    }
    const info = (await engine('info', () => this.docker.info())) as { CgroupDriver?: string; Driver?: string; DockerRootDir?: string };
    if (info.CgroupDriver !== 'cgroupfs') throw new UnsafeSandboxError(`the engine's cgroup driver is ${info.CgroupDriver ?? '?'}, not cgroupfs (build cgroup parents would not apply)`);
    const cgroups = await CgroupTree.open(this.options.cgroupRoot);
    const disk = await EngineDisk.open(info);
    const free = await disk.freeBytes();
    if (free < this.options.engineMinFreeBytes) {
      throw new InfrastructureError(`kadai's engine has ${Math.round(free / 2 ** 20)} MiB free on ${disk.dataRoot} (needs ${Math.round(this.options.engineMinFreeBytes / 2 ** 20)} MiB)`, true);
    }
    if (this.options.buildNetwork) {
      this.buildNetworkReady ??= engine('create the build network', () => ensureBuildNetwork(this.docker, this.options.buildNetwork, this.options.buildSubnet)).catch((error: unknown) => {
        this.buildNetworkReady = undefined;
        throw error;
      });
      await this.buildNetworkReady;
    }
    return { cgroups, disk };
  }

  /**
   * The checks of ensure(), then a probe build whose RUN step prints its own cgroup: it must be
   * inside an attempt-style build cgroup where pids.max was set. Attempts that start meanwhile wait
   * for it. Returns the status (never throws).
   */
  selfTest(log: Logger): Promise<SafetyStatus> {
    this.probing ??= this.probe(log).finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async probe(log: Logger): Promise<SafetyStatus> {
    try {
      const { cgroups } = await this.check();
      const cgroup = new BuildCgroup(cgroups, this.options.buildCgroupParent, `probe-${randomUUID().slice(0, 8)}`, this.options.buildPidsLimit);
      await cgroup.create();
      try {
        // BuildKit's plain progress prefixes each output line ("#5 0.123 12:pids:/kadai-build/…")
        const seen = await probeBuildStep(this.options, cgroup.path);
        const controller = cgroups.version === 1 ? /(?:^|\s)\d+:pids:(\S*)/m : /(?:^|\s)0::(\S*)/m;
        const where = controller.exec(seen)?.[1]?.trim();
        this.probeProblem = where?.startsWith(`${cgroup.path}/`) ? undefined : `a build step ran in cgroup ${where ?? '(unknown)'}, not under ${cgroup.path} where its pids limit is`;
      } finally {
        await cgroup.killAll().catch(() => undefined);
        await cgroup.remove();
      }
      this.record(this.probeProblem && new UnsafeSandboxError(this.probeProblem).message);
    } catch (error) {
      // an engine that is away or full runs nothing, unsafely or not: attempts wait for it (retried)
      if (error instanceof InfrastructureError && error.retryable && !(error instanceof UnsafeSandboxError)) {
        log.warn({ err: error }, 'docker sandbox not checked: the engine is not available');
        return this.status;
      }
      this.record((error as Error).message);
    }
    if (this.status.ok) log.debug({ safety: this.status }, 'docker sandbox limits verified');
    else log.error({ safety: this.status }, 'DOCKER SANDBOX UNSAFE: grading of docker labs stops until every limit is in place');
    return this.status;
  }
}
