import { InfrastructureError } from '@kadai/errors';
import type Docker from 'dockerode';
import { engineFailure, isNotFound } from './engine';

/**
 * Where an attempt's images come from: the engine's own images (the stand-ins infra/images builds)
 * or kadai's registry, never a registry a submission names. Without this the builder would pull a
 * missing `FROM evil.example/x` from anywhere, of any size. Registries mirrored at the root of
 * kadai's registry (as infra/images/push stores them); other hosts sit under their host name.
 */
const ROOT_HOSTS = new Set(['docker.io', 'registry.k8s.io', 'k8s.gcr.io']);

export interface ImageRef {
  host: string;
  /** The repository path as Docker names it (`library/python`). */
  path: string;
  /** A tag or `sha256:…` digest. */
  reference: string;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const first = rest.split('/')[0] ?? '';
  const hasHost = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? first : 'docker.io';
  let path = hasHost ? rest.slice(first.length + 1) : rest;
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { host, path: path.toLowerCase(), reference };
}

/** The repository in kadai's registry that holds an image. */
export function registryRepository(ref: ImageRef): string {
  return ROOT_HOSTS.has(ref.host) ? ref.path : `${ref.host}/${ref.path}`;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Manifest {
  config?: { size?: number };
  layers?: Array<{ size?: number }>;
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
}

/** The compressed size of an image in kadai's registry, undefined when the registry does not have it. */
async function registrySize(registry: string, repo: string, reference: string, signal: AbortSignal): Promise<number | undefined> {
  const url = `${registry.replace(/\/+$/, '')}/v2/${repo}/manifests/${reference}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
  } catch (error) {
    throw new InfrastructureError(`kadai's registry is unreachable (${url}): ${(error as Error).message}`, true, { cause: error });
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new InfrastructureError(`kadai's registry answered ${res.status} for ${url}`, true);
  const manifest = (await res.json()) as Manifest;
  if (manifest.manifests) {
    const linux = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? manifest.manifests[0];
    return linux ? registrySize(registry, repo, linux.digest, signal) : undefined;
  }
  return (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, l) => sum + (l.size ?? 0), 0);
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
}

export interface ImageSource {
  /** kadai's registry, '' for none (only images the engine already has). */
  registry: string;
  maxBytes: number;
}

/**
 * Makes `ref` available on the engine from an allowed source. Returns why not when that is the
 * student's choice (an image the course does not provide, or too large); throws InfrastructureError
 * when kadai's registry or engine fails.
 */
export async function provideImage(docker: Docker, ref: string, source: ImageSource, signal: AbortSignal): Promise<string | undefined> {
  try {
    await docker.getImage(ref).inspect();
    return undefined;
  } catch (error) {
    if (!isNotFound(error)) throw engineFailure('inspect image', error);
  }
  const notProvided = `the image ${ref} is not one this course's environment provides (images come from kadai's registry only)`;
  if (!source.registry) return notProvided;
  const parsed = parseImageRef(ref);
  const repo = registryRepository(parsed);
  const size = await registrySize(source.registry, repo, parsed.reference, signal);
  if (size === undefined) return notProvided;
  if (size > source.maxBytes) return `the image ${ref} is ${Math.round(size / 1048576)} MiB; at most ${Math.round(source.maxBytes / 1048576)} MiB are allowed`;
  const host = new URL(source.registry).host;
  const local = `${host}/${repo}${parsed.reference.startsWith('sha256:') ? '@' : ':'}${parsed.reference}`;
  try {
    await follow(docker, await docker.pull(local, { abortSignal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]) }));
    if (!parsed.reference.startsWith('sha256:')) {
      const [repoName, tag] = [ref.slice(0, ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.lastIndexOf(':') : ref.length), parsed.reference];
      await docker.getImage(local).tag({ repo: repoName, tag });
    }
  } catch (error) {
    if (signal.aborted) throw error;
    // kadai's registry has the image: failing to fetch it is kadai's failure, not the student's
    throw engineFailure(`pull ${local}`, error);
  }
  return undefined;
}
