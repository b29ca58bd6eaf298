import { statfs } from 'node:fs/promises';
import { overrunOf, type BudgetExceeded } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { mirrorTrouble } from '@kadai/package-mirror';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { BuildLimits, type BuildLimit } from './build-limits';
import { externalImages } from './build-policy';
import type { DockerfileFacts } from './dockerfile';
import { engine, engineFailure, engineMessage, statusOf } from './engine';
import { provideImage } from './images';
import { gatewayOf } from './isolation';
import type { ServiceSpec } from './model';
import type { DockerGraderOptions } from './options';

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
  /** Image ids of the build's steps (" ---> <id>"): its own layers, removed with the attempt. */
  layers: string[];
  durationMs: number;
}

export interface BuildRequest {
  tag: string;
  build: NonNullable<ServiceSpec['build']>;
  /** What kadai read from the Dockerfile (the images it names). */
  facts?: DockerfileFacts;
  files: Map<string, Buffer>;
  labels: Record<string, string>;
  signal: AbortSignal;
}

export function keepTail(text: string, limit: number): string {
  return text.length <= limit ? text : `… [${text.length - limit} chars cut]\n${text.slice(-limit)}`;
}

function contextTar(build: BuildRequest['build'], files: Map<string, Buffer>): { tar: ReturnType<typeof pack>; count: number } {
  const prefix = build.context === '.' ? '' : `${build.context.replace(/\/+$/, '')}/`;
  const tar = pack();
  let count = 0;
  for (const [rel, data] of files) {
    if (!rel.startsWith(prefix)) continue;
    count++;
    tar.entry({ name: rel.slice(prefix.length), size: data.length, mode: rel.endsWith('.sh') ? 0o755 : 0o644, mtime: new Date(0) }, data);
  }
  tar.finalize();
  return { tar, count };
}

/** The package mirror's address on the build network. */
export const mirrorAddress = (o: DockerGraderOptions) => o.packageMirrorAddress || gatewayOf(o.buildSubnet);

/**
 * Builds one image with the engine's builder on the build network, whose only way out is kadai's
 * package mirror (build-egress.ts), inside the attempt's build limits (build-limits.ts: pids, disk
 * per step, memory, time, image size). A build a limit stopped fails naming the limit. Any other
 * failed build is the student's — the step's message is the check's evidence — unless kadai let it
 * down, which is decided from kadai's own records, never from the build's output: the mirror's
 * record of upstream failures during the build, the engine answering, and free space on the
 * engine's disk once the build's containers are gone.
 */
export class Builder {
  constructor(
    private readonly docker: Docker,
    private readonly options: DockerGraderOptions,
    private readonly limits: BuildLimits,
  ) {}

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const started = Date.now();
    const { tar, count } = contextTar(request.build, request.files);
    if (count === 0) return { ok: false, log: '', error: `the build context ${request.build.context} has no files`, layers: [], durationMs: 0 };
    const source = { registry: this.options.imageRegistry, maxBytes: this.options.maxImageBytes };
    for (const image of request.facts ? externalImages(request.facts) : []) {
      const problem = image.ref.includes('$')
        ? `${image.ref}: the image name uses a variable without a value`
        : await provideImage(this.docker, image.ref, source, request.signal);
      if (problem) return { ok: false, log: '', error: `${request.build.dockerfile}:${image.line}: ${problem}`, layers: [], durationMs: Date.now() - started };
    }
    let log = '';
    let error: string | undefined;
    let overrun: BudgetExceeded | undefined;
    let limit: BuildLimit | undefined;
    const layers: string[] = [];
    // the build phase's budget: it ends the build when the attempt's build time is used up
    const budget = request.signal;
    try {
      await this.limits.guard(async (stop) => {
        const signal = AbortSignal.any([budget, stop]);
        const stream = await this.docker.buildImage(tar as unknown as NodeJS.ReadableStream, this.buildOptions(request, signal));
        await this.follow(stream, signal, (event) => {
          if (event.stream) {
            log = keepTail(log + event.stream, BUILD_LOG_LIMIT);
            const layer = /^ ---> ([0-9a-f]{12})\s*$/.exec(event.stream)?.[1];
            if (layer) layers.push(layer);
          }
          if (event.error) error = event.errorDetail?.message ?? event.error;
        });
      });
    } catch (thrown) {
      overrun = overrunOf(budget);
      if (overrun) error = overrun.message;
      else if (this.limits.stoppedBy) error = `stopped at the ${this.limits.stoppedBy} limit`; // named by the verdict below
      else if (budget.aborted || thrown instanceof InfrastructureError) throw thrown; // shutting down, or a limit not in place: kadai's
      // 400/404 before the build starts: the Dockerfile cannot be parsed or found (the student's); 5xx: the engine's.
      else if (statusOf(thrown) === 400 || statusOf(thrown) === 404) error = engineMessage(thrown);
      else throw engineFailure('build', thrown);
    }
    if (overrun) limit = 'time';
    else {
      const hit = await this.limits.verdict(error, log, () => engine('inspect the built image', async () => (await this.docker.getImage(request.tag).inspect()).Size));
      if (hit) ({ limit, error } = hit);
      else if (error) await this.blameKadai(started);
    }
    if (error) log = keepTail(`${log}\n${error}`, BUILD_LOG_LIMIT);
    return { ok: !error, log, ...(error ? { error } : {}), ...(limit ? { limit } : {}), ...(overrun ? { overrun } : {}), layers, durationMs: Date.now() - started };
  }

  private buildOptions(request: BuildRequest, abortSignal: AbortSignal): Docker.ImageBuildOptions {
    const o = this.options;
    // deb.debian.org too: the stand-ins' apt sources (plain HTTP) then reach the mirror unchanged
    const address = mirrorAddress(o);
    const mirror = o.packageMirrorStatusUrl && o.buildNetwork ? { extrahosts: [o.packageMirrorHost, 'deb.debian.org'].map((h) => `${h}:${address}`) } : {};
    return {
      t: request.tag,
      dockerfile: request.build.dockerfile,
      ...(request.build.args ? { buildargs: request.build.args } : {}),
      ...(request.build.target ? { target: request.build.target } : {}),
      labels: request.labels,
      rm: true,
      forcerm: true,
      ...(o.buildNetwork ? { networkmode: o.buildNetwork } : {}),
      ...mirror,
      memory: o.buildMemoryBytes,
      memswap: o.buildMemoryBytes,
      cpuperiod: 100_000,
      cpuquota: Math.round(o.buildCpus * 100_000),
      // the attempt's build cgroup, absolute (see cgroups.ts); dockerode's types lack the field
      ...{ cgroupparent: this.limits.cgroupParent },
      abortSignal,
    } as Docker.ImageBuildOptions;
  }

  private follow(stream: NodeJS.ReadableStream, limit: AbortSignal, onEvent: (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // A destroyed response stream may end without an error event: the time limit itself ends the wait.
      const onAbort = () => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(limit.reason);
      };
      if (limit.aborted) return onAbort();
      limit.addEventListener('abort', onAbort, { once: true });
      this.docker.modem.followProgress(
        stream,
        (err) => {
          limit.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        },
        onEvent,
      );
    });
  }

  /** Throws InfrastructureError (retryable) when the failed build's cause is kadai's, not the attempt's. */
  private async blameKadai(since: number): Promise<void> {
    if (this.options.packageMirrorStatusUrl) {
      const trouble = await mirrorTrouble(this.options.packageMirrorStatusUrl, since);
      if (trouble) throw new InfrastructureError(trouble, true);
    }
    const info = await engine('info', () => this.docker.info() as Promise<{ DockerRootDir?: string }>);
    const disk = info.DockerRootDir ? await statfs(info.DockerRootDir).catch(() => undefined) : undefined;
    if (disk && disk.bavail * disk.bsize < MIN_FREE_DISK_BYTES) {
      throw new InfrastructureError(`the engine's disk (${info.DockerRootDir}) has ${Math.round((disk.bavail * disk.bsize) / 1048576)} MiB free`, true);
    }
  }
}
