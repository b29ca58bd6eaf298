import { overrunOf } from '@kadai/checks';
import type { Logger } from '@kadai/observability';
import type Docker from 'dockerode';
import { BuildLimits } from './build-limits';
import { Builder, type BuildOutcome } from './builder';
import { BuildCgroup } from './cgroups';
import { pruneCacheMounts } from './buildkit/buildctl';
import type { DockerfileFacts } from './dockerfile';
import { engine, engineFailure, isNotFound, statusOf, studentCause } from './engine';
import type { Project, ServiceSpec } from './model';
import { LAB_CAPABILITIES, type DockerGraderOptions } from './options';
import { bridgeName } from './isolation';
import { openProxy, type PortProxy } from './ports';
import { ensureImage } from './pull';
import type { AttemptLimits } from './safety';
import { UnsafeSandboxError } from './unsafe';

export const SUBMISSION_LABEL = 'kadai.submission';
export const CREATED_LABEL = 'kadai.created';
/**
 * The fencing token of the grading run (its lease) that created a resource. Named to sort before
 * `kadai.submission`: the classic builder adds build labels as one LABEL step each, in name order,
 * and keeps the intermediate images as build cache (noprune); an intermediate image must not carry
 * `kadai.submission`, or it would count as the attempt's leftover.
 */
export const TOKEN_LABEL = 'kadai.lease-token';
export const SERVICE_LABEL = 'kadai.service';

export interface ServiceState {
  spec: ServiceSpec;
  /** The image the container runs (kadai's tag for built images). */
  image?: string;
  build?: BuildOutcome;
  containerId?: string;
  /** When kadai started the container (ms since epoch). */
  startedAt?: number;
  /** Why the container could not be created or started (student-facing). */
  startError?: string;
}

type Resource = { kind: 'container' | 'network' | 'volume' | 'image' | 'cgroup'; id: string };

/** Sorted so that every service comes after the ones it depends on; ties keep the declared order. */
export function startOrder(services: ServiceSpec[]): ServiceSpec[] {
  const order: ServiceSpec[] = [];
  const placed = new Set<string>();
  const known = new Set(services.map((s) => s.name));
  const pending = [...services];
  while (pending.length > 0) {
    const index = pending.findIndex((s) => s.dependsOn.every((d) => placed.has(d) || !known.has(d)));
    const next = pending.splice(index >= 0 ? index : 0, 1)[0]!; // a cycle: take the first and go on
    order.push(next);
    placed.add(next.name);
  }
  return order;
}

/**
 * One grading run's resources on the engine: its own internal network, named volumes, built images and
 * containers, named after the submission and the run's fencing token (a second worker grading the
 * same submission after a lost lease never shares a name), labelled with both and registered so
 * `down` removes them (in reverse
 * order, ignoring what is already gone). Limits come from the options, never from the submission.
 */
export class Sandbox {
  readonly prefix: string;
  readonly labels: Record<string, string>;
  readonly services = new Map<string, ServiceState>();
  private readonly resources: Resource[] = [];
  private readonly proxies: PortProxy[] = [];
  /** One kadai-assigned port per service port, reused by every check of the attempt. */
  private readonly endpoints = new Map<string, { host: string; port: number }>();
  private networkName?: string;
  private buildCgroup?: BuildCgroup;
  /** Whether a build ran: its `RUN --mount=type=cache` caches (namespaced by `prefix`) go at cleanup. */
  private usedBuildkit = false;

  constructor(
    private readonly docker: Docker,
    readonly options: DockerGraderOptions,
    readonly submissionId: string,
    token: number,
    private readonly log: Logger,
    private readonly limits: AttemptLimits,
  ) {
    const id = submissionId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'x';
    this.prefix = `kadai-${id}-${token}`;
    this.labels = { [SUBMISSION_LABEL]: submissionId, [TOKEN_LABEL]: String(token), [CREATED_LABEL]: String(Date.now()) };
  }

  private volumeName(name: string): string {
    return `${this.prefix}-${name}`.slice(0, 200);
  }

  /**
   * Builds every service that has a build section, one after the other, within the build phase's
   * budget (`signal`). A failed build, or one that runs out of that budget, is the student's
   * unless kadai's own records say otherwise (builder.ts).
   */
  async build(project: Project, files: Map<string, Buffer>, dockerfiles: Map<string, DockerfileFacts>, signal: AbortSignal): Promise<void> {
    let builder: Builder | undefined;
    for (const spec of project.services) {
      const state: ServiceState = this.services.get(spec.name) ?? { spec };
      this.services.set(spec.name, state);
      if (!spec.build) {
        state.image = spec.image;
        continue;
      }
      const tag = `${this.prefix}-${spec.name.toLowerCase()}:latest`;
      state.image = tag;
      // The image is registered before the build, so a half-finished build is cleaned up too.
      this.resources.push({ kind: 'image', id: tag });
      const facts = dockerfiles.get(spec.name);
      builder ??= new Builder(this.docker, this.options, await this.buildLimits());
      this.usedBuildkit = true;
      state.build = await builder.build({ tag, build: spec.build, ...(facts ? { facts } : {}), files, labels: this.labels, cacheNamespace: this.prefix, signal });
    }
  }

  /** The attempt's build cgroup (created with its pids limit read back) and the limits around its builds. */
  private async buildLimits(): Promise<BuildLimits> {
    this.buildCgroup = new BuildCgroup(this.limits.cgroups, this.options.buildCgroupParent, this.prefix, this.options.buildPidsLimit);
    this.resources.push({ kind: 'cgroup', id: this.buildCgroup.path });
    await this.buildCgroup.create();
    return new BuildLimits(this.options, this.buildCgroup, this.log);
  }

  /**
   * Creates the network and volumes, then creates and starts each service after its dependencies,
   * within the start phase's budget (`signal`): services it leaves unstarted get that as their start error.
   */
  async up(project: Project, signal: AbortSignal): Promise<void> {
    const name = `${this.prefix}-net`;
    const network = await engine('create network', () =>
      this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        Labels: this.labels,
        // a kd-… interface, so the host's INPUT rules for attempt networks apply (see isolation.ts)
        Options: { 'com.docker.network.bridge.name': bridgeName(name) },
        abortSignal: signal,
      } as Docker.NetworkCreateOptions),
    );
    this.resources.push({ kind: 'network', id: network.id });
    this.networkName = name;
    for (const volume of project.volumes) {
      const v = await engine('create volume', () => this.docker.createVolume({ Name: this.volumeName(volume), Labels: this.labels, abortSignal: signal } as Docker.VolumeCreateOptions));
      this.resources.push({ kind: 'volume', id: v.name });
      const { Mountpoint } = await engine('inspect volume', () => this.docker.getVolume(v.name).inspect());
      await this.limits.disk.limitVolume(Mountpoint, this.options.diskBytes).catch((error: unknown) => {
        throw new UnsafeSandboxError(`cannot limit the disk of volume ${v.name}: ${(error as Error).message}`, { cause: error });
      });
    }
    for (const spec of startOrder(project.services)) {
      const state: ServiceState = this.services.get(spec.name) ?? { spec, ...(spec.image ? { image: spec.image } : {}) };
      this.services.set(spec.name, state);
      const overrun = overrunOf(signal);
      if (overrun) {
        state.startError = overrun.message;
        continue;
      }
      if (signal.aborted) throw signal.reason; // shutting down
      if (state.build && !state.build.ok) {
        state.startError = 'the image was not built';
        continue;
      }
      await this.startService(state, signal);
    }
  }

  private async startService(state: ServiceState, signal: AbortSignal): Promise<void> {
    const spec = state.spec;
    const image = state.image!;
    if (!spec.build) {
      const problem = await ensureImage(this.docker, image, signal, this.options.ownRegistries, this.options.maxImageBytes);
      if (problem) {
        state.startError = problem;
        return;
      }
    }
    const memory = this.options.memoryBytes;
    let container: Docker.Container;
    try {
      // full btrfs qgroups count what a container references, its image included; simple quotas what it writes
      const imageBytes = (await this.docker.getImage(image).inspect()).Size;
      container = await this.docker.createContainer({
        name: `${this.prefix}-${spec.name}`.slice(0, 120),
        Image: image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        ...(spec.user ? { User: spec.user } : {}),
        Hostname: spec.name.slice(0, 63),
        Labels: { ...this.labels, [SERVICE_LABEL]: spec.name },
        ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p.container}/${p.protocol}`, {}])),
        HostConfig: {
          NetworkMode: this.networkName,
          Memory: memory,
          MemorySwap: memory,
          NanoCpus: Math.round(this.options.cpus * 1e9),
          PidsLimit: this.options.pidsLimit,
          Privileged: false,
          SecurityOpt: ['no-new-privileges'],
          CapDrop: ['ALL'],
          CapAdd: LAB_CAPABILITIES,
          StorageOpt: { size: String(this.limits.disk.containerSize(imageBytes, this.options.diskBytes)) },
          RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart, ...(spec.maxRetries !== undefined ? { MaximumRetryCount: spec.maxRetries } : {}) },
          Mounts: spec.volumes.map((v) => ({ Type: 'volume' as const, Source: this.volumeName(v.volume), Target: v.target, ReadOnly: v.readOnly })),
          LogConfig: { Type: 'json-file', Config: { 'max-size': String(this.options.logMaxBytes), 'max-file': '1' } },
        },
        NetworkingConfig: { EndpointsConfig: { [this.networkName!]: { Aliases: [spec.name, ...(spec.aliases ?? [])] } } },
      });
    } catch (error) {
      state.startError = studentCause('create', error);
      if (state.startError === undefined) throw engineFailure('create container', error);
      return;
    }
    this.resources.push({ kind: 'container', id: container.id });
    state.containerId = container.id;
    try {
      await container.start();
      state.startedAt = Date.now();
    } catch (error) {
      state.startError = studentCause('start', error);
      if (state.startError === undefined) throw engineFailure('start container', error);
      return;
    }
  }

  container(service: string): Docker.Container | undefined {
    const id = this.services.get(service)?.containerId;
    return id ? this.docker.getContainer(id) : undefined;
  }

  /** The service's container as the engine sees it; undefined when there is none (never created, or gone). */
  async inspect(service: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const c = this.container(service);
    if (!c) return undefined;
    try {
      return await c.inspect();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw engineFailure('inspect container', error);
    }
  }

  async imageInfo(service: string): Promise<Docker.ImageInspectInfo | undefined> {
    const image = this.services.get(service)?.image;
    if (!image) return undefined;
    try {
      return await this.docker.getImage(image).inspect();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw engineFailure('inspect image', error);
    }
  }

  async imageHistory(service: string): Promise<Array<{ CreatedBy: string; Size: number }>> {
    const image = this.services.get(service)?.image;
    if (!image) return [];
    return engine('image history', () => this.docker.getImage(image).history() as Promise<Array<{ CreatedBy: string; Size: number }>>);
  }

  /** Whether a path exists in an image's filesystem: a created (never started) container is read, nothing runs. */
  async pathsInImage(service: string, paths: string[]): Promise<Map<string, boolean>> {
    const image = this.services.get(service)?.image;
    const out = new Map<string, boolean>();
    if (!image) return out;
    const c = await engine('create probe container', () =>
      this.docker.createContainer({ Image: image, Entrypoint: ['/nonexistent'], Cmd: [], Labels: this.labels, HostConfig: { NetworkMode: 'none' } }),
    );
    this.resources.push({ kind: 'container', id: c.id });
    for (const p of paths) {
      try {
        const stream = await c.getArchive({ path: p });
        (stream as NodeJS.ReadableStream).resume();
        out.set(p, true);
      } catch (error) {
        if (!isNotFound(error)) throw engineFailure('read image path', error);
        out.set(p, false);
      }
    }
    await c.remove({ force: true }).catch(() => undefined);
    return out;
  }

  /** The last lines a service's container wrote (stdout and stderr), as the engine kept them. */
  async logs(service: string, tail = 200): Promise<string> {
    const c = this.container(service);
    if (!c) return '';
    try {
      const buffer = (await c.logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return demux(buffer);
    } catch (error) {
      if (isNotFound(error)) return '';
      throw engineFailure('read logs', error);
    }
  }

  /** A kadai-assigned host port that reaches the service's container port. */
  async endpoint(service: string, containerPort: number): Promise<{ host: string; port: number }> {
    const key = `${service}:${containerPort}`;
    const known = this.endpoints.get(key);
    if (known) return known;
    const proxy = await openProxy(this.options.portRange, async () => {
      const info = await this.inspect(service);
      const ip = info?.NetworkSettings.Networks[this.networkName ?? '']?.IPAddress;
      if (!ip) throw new Error('the container has no address');
      return { host: ip, port: containerPort };
    });
    this.proxies.push(proxy);
    const endpoint = { host: '127.0.0.1', port: proxy.port };
    this.endpoints.set(key, endpoint);
    return endpoint;
  }

  /**
   * Runs a throwaway helper container on the attempt's network (same DNS as the services), e.g. to
   * test that a service name answers on a port. Returns its exit code and output.
   */
  async runHelper(cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const c = await engine('create helper', () =>
      this.docker.createContainer({
        Image: this.options.helperImage,
        Cmd: cmd,
        Labels: this.labels,
        HostConfig: { NetworkMode: this.networkName, Memory: 32 * 1024 * 1024, PidsLimit: 16, SecurityOpt: ['no-new-privileges'], CapDrop: ['ALL'] },
      }),
    );
    this.resources.push({ kind: 'container', id: c.id });
    await engine('start helper', () => c.start());
    const waited = await Promise.race([
      c.wait() as Promise<{ StatusCode: number }>,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs)),
    ]);
    const buffer = (await c.logs({ stdout: true, stderr: true, follow: false }).catch(() => Buffer.alloc(0))) as unknown as Buffer;
    await c.remove({ force: true }).catch(() => undefined);
    return { exitCode: waited?.StatusCode ?? -1, output: demux(buffer) };
  }

  /**
   * Removes everything this attempt created, newest first; what is already gone is fine. The
   * containers go together (nothing of one waits for another), then the rest one by one, newest
   * first; buildkitd's cache mounts are pruned meanwhile (buildkitd, not the engine).
   */
  async down(): Promise<void> {
    await Promise.all(this.proxies.splice(0).map((p) => p.close()));
    this.endpoints.clear();
    const failures: string[] = [];
    const pruned = this.usedBuildkit ? pruneCacheMounts(this.options.buildkit, this.prefix).then((problem) => problem && failures.push(`build cache mounts ${this.prefix}: ${problem}`)) : undefined;
    const resources = this.resources.splice(0).reverse();
    const remove = async (r: Resource) => {
      try {
        await this.remove(r);
      } catch (error) {
        if (!gone(error)) failures.push(`${r.kind} ${r.id}: ${(error as Error).message}`);
      }
    };
    await Promise.all(resources.filter((r) => r.kind === 'container').map(remove));
    for (const r of resources.filter((r) => r.kind !== 'container')) await remove(r);
    await pruned;
    if (failures.length > 0) this.log.warn({ failures }, 'cleanup left resources behind; the reaper will remove them');
  }

  private async remove(r: Resource): Promise<void> {
    if (r.kind === 'container') await this.docker.getContainer(r.id).remove({ force: true, v: true });
    else if (r.kind === 'network') await this.docker.getNetwork(r.id).remove();
    else if (r.kind === 'volume') await this.docker.getVolume(r.id).remove({ force: true } as object);
    // a built image is pulled whole from the registry (no parent images): its own layers go
    // with it, shared ones (the labs' base layers) stay
    else if (r.kind === 'image') await this.docker.getImage(r.id).remove({ force: true });
    else await this.buildCgroup?.remove();
  }
}

/**
 * Already removed (404), still used by something else (409), or removed meanwhile by a concurrent
 * attempt that shared the image (the engine answers 500 "unrecognized image ID"): nothing left to do.
 */
function gone(error: unknown): boolean {
  return isNotFound(error) || statusOf(error) === 409 || /unrecognized image ID/.test((error as Error).message);
}

/** Docker's multiplexed log stream (8-byte frame headers) → text; plain text when there are no frames (TTY). */
export function demux(buffer: Buffer): string {
  if (!Buffer.isBuffer(buffer)) return String(buffer);
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buffer.length) {
    const type = buffer[i];
    if (type !== 0 && type !== 1 && type !== 2) return buffer.toString('utf8');
    const size = buffer.readUInt32BE(i + 4);
    parts.push(buffer.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
