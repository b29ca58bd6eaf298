import { overrunOf } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import type Docker from 'dockerode';
import { engineFailure, engineMessage, isNotFound, statusOf } from './engine';
import { parseImageRef, type ImageRef } from './image-ref';

/** Longest wait for one image pull: a registry that stalls is kadai's failure, not a slow student. */
const PULL_TIMEOUT_MS = 60_000;
const ASK_TIMEOUT_MS = 5_000;
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A pull stopped because the layers it announced add up to more than the image size limit. */
class PullTooLarge extends Error {}

async function pull(docker: Docker, image: string, signal: AbortSignal, maxBytes: number): Promise<void> {
  const stream = (await docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream & { destroy?: () => void };
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stream.destroy?.();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    let failure: string | undefined;
    const layers = new Map<string, number>();
    // The engine reports a pull that fails part-way as an error event in the stream, not as an HTTP error.
    docker.modem.followProgress(
      stream,
      (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err || failure) reject(err ?? new Error(failure));
        else resolve();
      },
      (event: { id?: string; error?: string; errorDetail?: { message?: string }; progressDetail?: { total?: number } }) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
        // each layer announces its (compressed) size as its download starts: stop once they pass the cap
        if (event.id && event.progressDetail?.total) {
          layers.set(event.id, event.progressDetail.total);
          if ([...layers.values()].reduce((a, b) => a + b, 0) > maxBytes) {
            signal.removeEventListener('abort', onAbort);
            stream.destroy?.();
            reject(new PullTooLarge());
          }
        }
      },
    );
  });
}

/**
 * Makes sure an image is on the engine, pulling it when missing. Returns undefined when it is there,
 * or the student-facing reason when the image cannot be had for the student's own choice (a name no
 * registry has, a registry kadai does not run). Throws an InfrastructureError when the cause is
 * kadai's: the engine, its disk, or a registry kadai serves images from being down or failing.
 */
export async function ensureImage(docker: Docker, image: string, signal: AbortSignal, ownRegistries: readonly string[], maxBytes: number): Promise<string | undefined> {
  // Never ask the engine to pull from a host kadai does not serve: it runs on the host's network, so
  // the answer of whatever listens there (a loopback service, the LAN) would come back as feedback.
  const { registry } = parseImageRef(image);
  if (registry !== 'docker.io' && !ownRegistries.some((url) => new URL(url).host === registry)) {
    return `the image ${image} names the registry ${registry}, which the sandbox cannot reach: use the image's Docker Hub name (kadai serves the course's images under those names)`;
  }
  try {
    await docker.getImage(image).inspect();
    return undefined;
  } catch (error) {
    if (!isNotFound(error)) throw engineFailure('inspect image', error);
  }
  const pullSignal = AbortSignal.any([signal, AbortSignal.timeout(PULL_TIMEOUT_MS)]);
  const started = Date.now();
  try {
    await pull(docker, image, pullSignal, maxBytes);
    return undefined;
  } catch (error) {
    if (signal.aborted && !overrunOf(signal)) throw error; // shutting down: the runner decides
    if (error instanceof PullTooLarge) return `the image ${image} is larger than the image size limit (${Math.round(maxBytes / 2 ** 20)} MiB): its pull was stopped`;
    // No HTTP status and a socket error: the engine itself did not answer (its socket is gone).
    if (!pullSignal.aborted && statusOf(error) === undefined && typeof (error as NodeJS.ErrnoException).code === 'string') throw engineFailure('pull', error);
    const failure = pullSignal.aborted ? `the pull was stopped after ${Math.round((Date.now() - started) / 1000)} s without the image` : engineMessage(error);
    return judgePullFailure(docker, image, failure, ownRegistries);
  }
}

type Answer = { has: true } | { has: false } | { down: string };

/** Asks a registry whether it has the image's manifest. */
async function ask(base: string, ref: ImageRef): Promise<Answer> {
  const url = `${base.replace(/\/+$/, '')}/v2/${ref.repository}/manifests/${ref.reference}`;
  try {
    const res = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    if (res.ok) return { has: true };
    // 400: the registry refuses the reference itself (a mistyped digest), so it has no such image
    if (res.status === 404 || res.status === 400) return { has: false };
    return { down: `${url} answered ${res.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { down: `${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

/** The registries kadai itself serves this image from: the engine's mirrors for Docker Hub names, and its own registries by host. */
async function kadaiSources(docker: Docker, ref: ImageRef, ownRegistries: readonly string[]): Promise<string[]> {
  const info = (await docker.info().catch((error: unknown) => {
    throw engineFailure('info', error);
  })) as { RegistryConfig?: { Mirrors?: string[] } };
  const mirrors = info.RegistryConfig?.Mirrors ?? [];
  const all = [...mirrors, ...ownRegistries];
  const byHost = all.filter((url) => new URL(url).host === ref.registry);
  return ref.registry === 'docker.io' ? [...mirrors, ...byHost] : byHost;
}

/**
 * Decides by cause why a pull failed. For an image kadai serves (Docker Hub names through the
 * engine's mirrors, or a registry in `ownRegistries`), kadai's registry is asked directly: it does
 * not have the image → the student's (a name the course does not offer); it has it, or does not
 * answer → kadai's failure. A full disk is always kadai's. Anything else is a registry the student
 * chose, which the sandbox cannot reach: the student's.
 */
async function judgePullFailure(docker: Docker, image: string, failure: string, ownRegistries: readonly string[]): Promise<string> {
  if (/no space left on device/i.test(failure)) throw new InfrastructureError(`pulling ${image}: the engine's disk is full: ${failure}`, true);
  const ref = parseImageRef(image);
  const sources = await kadaiSources(docker, ref, ownRegistries);
  if (sources.length === 0 && ref.registry === 'docker.io') {
    // No mirror: Docker Hub itself is where kadai's images come from.
    if (/not found|manifest unknown|does not exist|pull access denied|unauthorized/i.test(failure)) return `the image ${image} could not be pulled: ${failure}`;
    throw new InfrastructureError(`pulling ${image} from Docker Hub failed: ${failure}`, true);
  }
  if (sources.length === 0) return `the image ${image} could not be pulled: ${failure} (only the course's images, from kadai's registry, can be used)`;
  const answers = await Promise.all(sources.map(async (url) => ({ url, answer: await ask(url, ref) })));
  const having = answers.find((a) => 'has' in a.answer && a.answer.has);
  if (having) throw new InfrastructureError(`kadai's registry ${having.url} has ${image}, but the engine could not pull it: ${failure}`, true);
  const down = answers.find((a) => 'down' in a.answer);
  if (down) throw new InfrastructureError(`kadai's registry is not answering (${(down.answer as { down: string }).down}); pulling ${image} failed: ${failure}`, true);
  return `the image ${image} is not available: kadai's registry does not have it (${failure})`;
}
