import { statfs } from 'node:fs/promises';
import { overrunOf, type BudgetExceeded } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { mirrorTrouble } from '@kadai/package-mirror';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
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
 * package mirror (build-egress.ts). A failed build is the student's — the step's message is the
 * check's evidence — unless kadai let it down, which is decided from kadai's own records, never
 * from the build's output: the mirror's record of upstream failures during the build, the engine
 * answering, and free space on the engine's disk once the build's containers are gone.
 */
export class Builder {
  constructor(
    private readonly docker: Docker,
    private readonly options: DockerGraderOptions,
  ) {}

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const started = Date.now();
    const { tar, count } = contextTar(request.build, request.files);
    if (count === 0) return { ok: false, log: '', error: `the build context ${request.build.context} has no files`, durationMs: 0 };
    const source = { registry: this.options.imageRegistry, maxBytes: this.options.maxImageBytes };
    for (const image of request.facts ? externalImages(request.facts) : []) {
      const problem = image.ref.includes('$')
        ? `${image.ref}: the image name uses a variable without a value`
        : await provideImage(this.docker, image.ref, source, request.signal);
      if (problem) return { ok: false, log: '', error: `${request.build.dockerfile}:${image.line}: ${problem}`, durationMs: Date.now() - started };
    }
    let log = '';
    let error: string | undefined;
    let overrun: BudgetExceeded | undefined;
    // the build phase's budget: it ends the build when the attempt's build time is used up
    const limit = request.signal;
    try {
      const stream = await this.docker.buildImage(tar as unknown as NodeJS.ReadableStream, this.buildOptions(request, limit));
      await this.follow(stream, limit, (event) => {
        if (event.stream) log = keepTail(log + event.stream, BUILD_LOG_LIMIT);
        if (event.error) error = event.errorDetail?.message ?? event.error;
      });
    } catch (thrown) {
      overrun = overrunOf(limit);
      if (overrun) error = overrun.message;
      else if (limit.aborted) throw thrown; // shutting down: kadai's, not the student's
      // 400/404 before the build starts: the Dockerfile cannot be parsed or found (the student's); 5xx: the engine's.
      else if (statusOf(thrown) === 400 || statusOf(thrown) === 404) error = engineMessage(thrown);
      else throw engineFailure('build', thrown);
    }
    if (error) {
      await this.blameKadai(started);
      log = keepTail(`${log}\n${error}`, BUILD_LOG_LIMIT);
    }
    return { ok: !error, log, ...(error ? { error } : {}), ...(overrun ? { overrun } : {}), durationMs: Date.now() - started };
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
      // absolute: runc takes a relative cgroup parent as relative to its own cgroup (wherever the
      // engine was started), so the pids.max kadai writes under /sys/fs/cgroup could miss the builds
      ...(o.buildPidsLimit > 0 && o.buildCgroupParent ? { cgroupparent: `/${o.buildCgroupParent.replace(/^\/+/, '')}` } : {}),
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
