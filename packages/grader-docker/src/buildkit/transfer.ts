import { randomBytes } from 'node:crypto';
import { InfrastructureError } from '@kadai/errors';
import type Docker from 'dockerode';
import { engineFailure, isNotFound } from '../engine';

/**
 * How a built image gets from buildkitd into kadai's engine: buildkitd pushes it to kadai's registry
 * under a repository of its own, the engine pulls it (only the layers it lacks: the labs' base layers
 * are already there, and the registry mounts them from their own repository instead of receiving
 * them again), the image is re-tagged with the attempt's name, and the repository is emptied at once.
 *
 * The repository — `kadai-attempts/<attempt image>-<created, base 36>-<128 random bits>` — exists
 * only between the push and the pull, cannot be guessed by another attempt, and is out of every
 * attempt's reach anyway: images named `kadai-…` are refused in submissions (policy.ts) and denied
 * by the source policy every build gets (source-policy.ts).
 */
export const TRANSFER_NAMESPACE = 'kadai-attempts';

const MANIFEST_TYPES = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');
const REGISTRY_TIMEOUT_MS = 15_000;

export interface Transfer {
  /** The registry's base URL (`http://127.0.0.1:5000`). */
  registry: string;
  /** The repository in it (`kadai-attempts/…`). */
  repository: string;
  /** The full reference buildkitd pushes and the engine pulls (`127.0.0.1:5000/kadai-attempts/…:latest`). */
  ref: string;
}

/** A new transfer for the image kadai tags `tag` (`kadai-<attempt>-<service>:latest`) on the engine. */
export function newTransfer(registry: string, tag: string, now = Date.now()): Transfer {
  if (!registry) throw new InfrastructureError("builds need kadai's registry (KADAI_DOCKER_TRANSFER_REGISTRY) to hand images to the engine", false);
  const base = registry.replace(/\/+$/, '');
  const name = tag.replace(/:[^/:]*$/, '');
  const repository = `${TRANSFER_NAMESPACE}/${name}-${now.toString(36)}-${randomBytes(16).toString('hex')}`;
  return { registry: base, repository, ref: `${new URL(base).host}/${repository}:latest` };
}

/** When a transfer repository was made (from its name); undefined for a name kadai did not make. */
export function transferCreatedAt(repository: string): number | undefined {
  const m = new RegExp(`^${TRANSFER_NAMESPACE}/.+-([0-9a-z]+)-[0-9a-f]{32}$`).exec(repository);
  return m ? parseInt(m[1]!, 36) : undefined;
}

async function registryCall(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) });
  } catch (error) {
    throw new InfrastructureError(`kadai's registry is not answering (${url}): ${(error as Error).message}`, true, { cause: error });
  }
}

/**
 * Pulls the pushed image into the engine and tags it `tag`; the transfer's own names are taken off
 * again (the engine keeps only kadai's attempt name, which attempt cleanup removes with its layers).
 */
export async function pullTransfer(docker: Docker, transfer: Transfer, tag: string): Promise<void> {
  try {
    const stream = await docker.pull(transfer.ref);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err) => (err ? reject(err) : resolve()),
        (event: { error?: string }) => event.error && reject(new Error(event.error)),
      ),
    );
    const pulled = docker.getImage(transfer.ref);
    const { RepoDigests } = await pulled.inspect();
    const [repo, version] = [tag.replace(/:[^/:]*$/, ''), /:([^/:]*)$/.exec(tag)?.[1] ?? 'latest'];
    await pulled.tag({ repo, tag: version });
    // untagging only: the image stays under `tag` (the engine drops a repository's digest name with its last tag, so either may be gone already)
    for (const name of [transfer.ref, ...(RepoDigests ?? []).filter((d) => d.includes(`/${transfer.repository}@`))]) {
      await docker
        .getImage(name)
        .remove({ noprune: true })
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    }
  } catch (error) {
    throw engineFailure("pull the built image from kadai's registry", error);
  }
}

/**
 * Empties the transfer's repository: its manifest (and so its tag) deleted, its blobs unlinked, so
 * nothing can be pulled from it. Nothing there (a build that pushed nothing) is fine. Throws a
 * retryable InfrastructureError when the registry fails. Layer data no repository links to any more
 * stays in the registry's storage until its garbage collection (at each registry start, infra/images/registry).
 */
export async function removeTransfer(transfer: Pick<Transfer, 'registry' | 'repository'>): Promise<void> {
  const repo = `${transfer.registry}/v2/${transfer.repository}`;
  const res = await registryCall(`${repo}/manifests/latest`, { headers: { accept: MANIFEST_TYPES } });
  if (res.status === 404) return;
  if (!res.ok) throw new InfrastructureError(`kadai's registry answered ${res.status} for ${repo}/manifests/latest`, true);
  const digest = res.headers.get('docker-content-digest');
  const manifest = (await res.json()) as { config?: { digest: string }; layers?: Array<{ digest: string }> };
  if (!digest) throw new InfrastructureError(`kadai's registry gave no digest for ${repo}/manifests/latest`, true);
  const deletions = [`manifests/${digest}`, ...[manifest.config, ...(manifest.layers ?? [])].flatMap((b) => (b ? [`blobs/${b.digest}`] : []))];
  for (const what of deletions) {
    const deleted = await registryCall(`${repo}/${what}`, { method: 'DELETE' });
    if (!deleted.ok && deleted.status !== 404) throw new InfrastructureError(`kadai's registry answered ${deleted.status} to DELETE ${repo}/${what}`, true);
  }
}

/** The transfer repositories in the registry (emptied ones stay listed: the registry keeps their folders). */
async function transferRepositories(registry: string): Promise<string[]> {
  const names: string[] = [];
  let next: string | undefined = `${registry}/v2/_catalog?n=1000`;
  while (next) {
    const res = await registryCall(next);
    if (!res.ok) throw new InfrastructureError(`kadai's registry answered ${res.status} for ${next}`, true);
    names.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []).filter((r) => r.startsWith(`${TRANSFER_NAMESPACE}/`)));
    const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    next = link ? new URL(link, registry).toString() : undefined;
  }
  return names;
}

/**
 * The reaper's part for the registry: empties transfer repositories older than `olderThanMs` (a
 * worker that died between a push and its pull left them). `emptied` remembers repositories already
 * done, so each is looked at once per worker. Returns how many were emptied now.
 */
export async function reapTransfers(registry: string, olderThanMs: number, emptied: Set<string>): Promise<number> {
  if (!registry) return 0;
  const base = registry.replace(/\/+$/, '');
  let count = 0;
  for (const repository of await transferRepositories(base)) {
    const created = transferCreatedAt(repository);
    if (emptied.has(repository) || created === undefined || Date.now() - created < olderThanMs) continue;
    await removeTransfer({ registry: base, repository });
    emptied.add(repository);
    count++;
  }
  return count;
}
