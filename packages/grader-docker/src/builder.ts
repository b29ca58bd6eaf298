import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { overrunOf, type BudgetExceeded } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { mirrorTrouble } from '@kadai/package-mirror';
import type Docker from 'dockerode';
import type { BuildLimit, BuildLimits } from './build-limits';
import { externalImages } from './build-policy';
import { buildkitProblem } from './buildkit/buildctl';
import { runBuildkitBuild } from './buildkit/build';
import { writeContext } from './buildkit/context';
import type { DockerfileFacts } from './dockerfile';
import { engine } from './engine';
import { builtImage } from './image-disk';
import { registryImageProblem, registryProblem } from './images';
import { gatewayOf } from './isolation';
import type { ServiceSpec } from './model';
import type { DockerGraderOptions } from './options';
import { claimRunCache, markRebuildWhole, runCacheKey, type RunCacheName } from './run-cache';

const BUILD_LOG_LIMIT = 256 * 1024;
/** Below this much free space on the engine's disk after a failed build, the failure is kadai's disk, not the build. */
const MIN_FREE_DISK_BYTES = 1024 * 1024 * 1024;

export interface BuildOutcome {
  ok: boolean;
  /** The build output (tail kept when long). */
  log: string;
  error?: string;
  /** Which of kadai's limits stopped it (the student's build, not the engine, failed). */
  limit?: BuildLimit;
  /** Set when the build ran out of the attempt's build time (the student's slow build). */
  overrun?: BudgetExceeded;
  durationMs: number;
}

export interface BuildRequest {
  tag: string;
  build: NonNullable<ServiceSpec['build']>;
  /** What kadai read from the Dockerfile (the images it names). */
  facts?: DockerfileFacts;
  files: Map<string, Buffer>;
  labels: Record<string, string>;
  /** The attempt's own namespace for `RUN --mount=type=cache` ids. */
  cacheNamespace: string;
  signal: AbortSignal;
}

export function keepTail(text: string, limit: number): string {
  return text.length <= limit ? text : `… [${text.length - limit} chars cut]\n${text.slice(-limit)}`;
}

/** The package mirror's address on the build network. */
export const mirrorAddress = (o: DockerGraderOptions) => o.packageMirrorAddress || gatewayOf(o.buildSubnet);

/**
 * Builds one image with kadai's BuildKit daemon (buildkit/), whose RUN steps sit on the build
 * network, whose only way out is kadai's package mirror (build-egress.ts), inside the attempt's
 * build limits (build-limits.ts: pids, memory, time, image size; BuildKit puts every step in the
 * attempt's build cgroup), and hands it to the engine through kadai's registry (buildkit/transfer.ts). A build a limit stopped fails naming the
 * limit. Any other failed build is the student's — the step's message is the check's evidence —
 * unless kadai let it down, which is decided from kadai's own records, never from the build's
 * output: the mirror's record of upstream failures during the build, the engine, buildkitd and
 * kadai's registry answering, and free space on their disks.
 */
export class Builder {
  constructor(
    private readonly docker: Docker,
    private readonly options: DockerGraderOptions,
    private readonly limits: BuildLimits,
  ) {}

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const started = Date.now();
    const dir = await writeContext(request.build.context, request.files);
    let rebuildWhole: string | undefined;
    let runCacheName: RunCacheName | undefined;
    try {
      if (dir.count === 0) return { ok: false, log: '', error: `the build context ${request.build.context} has no files`, durationMs: 0 };
      const problem = await this.imagesProblem(request);
      if (problem) return { ok: false, log: '', error: problem, durationMs: Date.now() - started };
      let log = '';
      let error: string | undefined;
      let limit: BuildLimit | undefined;
      // this build's name at the package mirror (its proxy credential): unguessable, so no other build can borrow it
      const mirrorBuild = randomBytes(16).toString('hex');
      // whose cached RUN steps this build may use: only its own input's (run-cache.ts)
      const runCache = runCacheKey(request, this.options);
      const { salt } = (runCacheName = await claimRunCache(runCache, this.options));
      // a build that did not end well (a limit, a step's error, the time, kadai's failure) may have
      // left some steps cached unmeasured as a whole: its input's next build runs every step again
      rebuildWhole = runCache;
      // the build phase's budget: it ends the build when the attempt's build time is used up
      const budget = request.signal;
      const onLog = (text: string) => (log = keepTail(log + text, BUILD_LOG_LIMIT));
      try {
        ({ error } = await this.limits.guard((stop) => runBuildkitBuild(this.docker, this.options, dir, { ...request, cgroupParent: this.limits.cgroupParent, mirrorBuild, runCacheSalt: salt }, onLog, AbortSignal.any([budget, stop]))));
      } catch (thrown) {
        if (overrunOf(budget) || this.limits.stoppedBy) error = String(thrown);
        else throw thrown; // shutting down, a limit not in place, buildctl or the engine failing: kadai's
      }
      const overrun = error ? overrunOf(budget) : undefined;
      if (overrun) {
        // an upstream that never answers can use up the build's time as well as fail it: the
        // mirror's record of this build decides, as for a failed build (kadai's: retried, then `error`)
        await this.blameMirror(started, mirrorBuild);
        error = overrun.message;
        limit = 'time';
      } else if (error && this.limits.stoppedBy) error = `stopped at the ${this.limits.stoppedBy} limit`; // named by the verdict below
      else if (error && budget.aborted) throw budget.reason; // shutting down: kadai's, not the student's
      if (!overrun) {
        const bases = request.facts ? externalImages(request.facts).map((i) => i.ref) : [];
        const hit = await this.limits.verdict(error, log, () => builtImage(this.docker, request.tag, bases, this.options.imageRegistry, budget));
        if (hit) ({ limit, error } = hit);
        else if (error) await this.blameKadai(started, mirrorBuild);
      }
      if (error) log = keepTail(`${log}\n${error}`, BUILD_LOG_LIMIT);
      else rebuildWhole = undefined;
      return { ok: !error, log, ...(error ? { error } : {}), ...(limit ? { limit } : {}), ...(overrun ? { overrun } : {}), durationMs: Date.now() - started };
    } finally {
      // a marker that cannot be written (a full disk) leaves the verdict as it is
      if (rebuildWhole) await markRebuildWhole(rebuildWhole, this.options).catch(() => undefined);
      // after the marker: the input's next build sees it as soon as it can claim the input's name
      await runCacheName?.release().catch(() => undefined);
      await dir.remove();
    }
  }

  /** The first image the Dockerfile names that kadai's registry cannot give (the student's), with its line. */
  private async imagesProblem(request: BuildRequest): Promise<string | undefined> {
    const source = { registry: this.options.imageRegistry, maxBytes: this.options.maxImageBytes };
    for (const image of request.facts ? externalImages(request.facts) : []) {
      const problem = image.ref.includes('$') ? `${image.ref}: the image name uses a variable without a value` : await registryImageProblem(image.ref, source, request.signal);
      if (problem) return `${request.build.dockerfile}:${image.line}: ${problem}`;
    }
    return undefined;
  }

  /**
   * Throws InfrastructureError (retryable) when kadai's package mirror let the build down since
   * `since` (mirrorTrouble: its record of the build's upstream failures, and the worker's own requests).
   */
  private async blameMirror(since: number, mirrorBuild: string): Promise<void> {
    if (!this.options.packageMirrorStatusUrl) return;
    const trouble = await mirrorTrouble(this.options.packageMirrorStatusUrl, since, mirrorBuild);
    if (trouble) throw new InfrastructureError(trouble, true);
  }

  /** Throws InfrastructureError (retryable) when the failed build's cause is kadai's, not the attempt's. */
  private async blameKadai(since: number, mirrorBuild: string): Promise<void> {
    await this.blameMirror(since, mirrorBuild);
    const buildkitDown = await buildkitProblem(this.options.buildkit);
    if (buildkitDown) throw new InfrastructureError(buildkitDown, true);
    // the images a build starts FROM come from kadai's registry, built images go through it
    for (const registry of new Set([this.options.imageRegistry, this.options.transferRegistry])) {
      const down = registry ? await registryProblem(registry) : undefined;
      if (down) throw new InfrastructureError(down, true);
    }
    const info = await engine('info', () => this.docker.info() as Promise<{ DockerRootDir?: string }>);
    for (const [whose, dir] of [['the engine', info.DockerRootDir], ['buildkitd', this.options.buildkit.stateDir]] as const) {
      const disk = dir ? await statfs(dir).catch(() => undefined) : undefined;
      if (disk && disk.bavail * disk.bsize < MIN_FREE_DISK_BYTES) {
        throw new InfrastructureError(`${whose}'s disk (${dir}) has ${Math.round((disk.bavail * disk.bsize) / 1048576)} MiB free`, true);
      }
    }
  }
}
