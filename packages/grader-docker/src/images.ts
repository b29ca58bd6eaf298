import { InfrastructureError } from '@kadai/errors';
import { parseImageRef, type ImageRef } from './image-ref';

/**
 * Where a build's images come from: kadai's registry (the stand-ins infra/images pushes), never a
 * registry a submission names. Without this a build would fetch `FROM evil.example/x` from
 * anywhere, of any size; BuildKit's source policy (buildkit/source-policy.ts) holds it to the same. Registries mirrored at the root of
 * kadai's registry (as infra/images/push stores them); other hosts sit under their host name.
 */
const ROOT_HOSTS = new Set(['docker.io', 'registry.k8s.io', 'k8s.gcr.io']);

/** The repository in kadai's registry that holds an image. */
export function registryRepository(ref: ImageRef): string {
  return ROOT_HOSTS.has(ref.registry) ? ref.repository : `${ref.registry}/${ref.repository}`;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Manifest {
  config?: { digest?: string; size?: number };
  layers?: Array<{ size?: number }>;
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
}

/** An image's manifest in kadai's registry (linux/amd64's, for an index), undefined when the registry does not have it. */
async function registryManifest(registry: string, repo: string, reference: string, signal: AbortSignal): Promise<Manifest | undefined> {
  const url = `${registry.replace(/\/+$/, '')}/v2/${repo}/manifests/${reference}`;
  const res = await registryGet(url, MANIFEST_TYPES, signal);
  if (!res) return undefined;
  const manifest = (await res.json()) as Manifest;
  if (manifest.manifests) {
    const linux = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? manifest.manifests[0];
    return linux ? registryManifest(registry, repo, linux.digest, signal) : undefined;
  }
  return manifest;
}

/** GET from kadai's registry: undefined for 404/400 (the student's reference), InfrastructureError when the registry fails. */
async function registryGet(url: string, accept: string, signal: AbortSignal): Promise<Response | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept }, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
  } catch (error) {
    throw new InfrastructureError(`kadai's registry is unreachable (${url}): ${(error as Error).message}`, true, { cause: error });
  }
  // 400 is the registry refusing the reference itself (a mistyped digest: DIGEST_INVALID): the student's, like a missing image
  if (res.status === 404 || res.status === 400) return undefined;
  if (!res.ok) throw new InfrastructureError(`kadai's registry answered ${res.status} for ${url}`, true);
  return res;
}

/** The compressed size of an image in kadai's registry, undefined when the registry does not have it. */
async function registrySize(registry: string, repo: string, reference: string, signal: AbortSignal): Promise<number | undefined> {
  const manifest = await registryManifest(registry, repo, reference, signal);
  return manifest && (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, l) => sum + (l.size ?? 0), 0);
}

/** What an image's config in kadai's registry says about its layers: the diff ids and how many history entries it has. */
export interface ImageLayering {
  diffIds: string[];
  historyLength: number;
}

/** `ref`'s layering from kadai's registry, undefined when the registry does not have it. */
export async function registryLayering(ref: string, registry: string, signal: AbortSignal): Promise<ImageLayering | undefined> {
  const parsed = parseImageRef(ref);
  const repo = registryRepository(parsed);
  const digest = (await registryManifest(registry, repo, parsed.reference, signal))?.config?.digest;
  const res = digest ? await registryGet(`${registry.replace(/\/+$/, '')}/v2/${repo}/blobs/${digest}`, '*/*', signal) : undefined;
  if (!res) return undefined;
  const config = (await res.json()) as { rootfs?: { diff_ids?: string[] }; history?: unknown[] };
  return { diffIds: config.rootfs?.diff_ids ?? [], historyLength: config.history?.length ?? 0 };
}

/** Why kadai's registry is not usable (undefined when its API answers). */
export async function registryProblem(registry: string): Promise<string | undefined> {
  const url = `${registry.replace(/\/+$/, '')}/v2/`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? undefined : `kadai's registry answered ${res.status} for ${url}`;
  } catch (error) {
    return `kadai's registry is not answering (${url}): ${(error as Error).message}`;
  }
}

export interface ImageSource {
  /** kadai's registry, '' for none (then nothing can be built FROM). */
  registry: string;
  maxBytes: number;
}

/**
 * Why `ref` may not be built from (undefined when kadai's registry has it, small enough): not one
 * the course provides, or too large — the student's choice. Throws InfrastructureError when the
 * registry fails.
 */
export async function registryImageProblem(ref: string, source: ImageSource, signal: AbortSignal): Promise<string | undefined> {
  const notProvided = `the image ${ref} is not one this course's environment provides (images come from kadai's registry only)`;
  if (!source.registry) return notProvided;
  const parsed = parseImageRef(ref);
  const size = await registrySize(source.registry, registryRepository(parsed), parsed.reference, signal);
  if (size === undefined) return notProvided;
  if (size > source.maxBytes) return `the image ${ref} is ${Math.round(size / 1048576)} MiB; at most ${Math.round(source.maxBytes / 1048576)} MiB are allowed`;
  return undefined;
}
