import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InfrastructureError } from '@kadai/errors';
import { BUILD_PROXY_USER } from '@kadai/package-mirror';
import type Docker from 'dockerode';
import { externalImages } from '../build-policy';
import { mirrorAddress, type BuildRequest } from '../builder';
import type { DockerGraderOptions } from '../options';
import { runCacheHost } from '../run-cache';
import { runBuildctl } from './buildctl';
import { writeContext, type BuildDirectory } from './context';
import { buildSourcePolicy } from './source-policy';
import { newTransfer, pullTransfer, removeTransfer } from './transfer';

/**
 * The proxy variables that send a build's package requests to the mirror with the build's own
 * credential, so the mirror records an upstream failure against the build that met it (BuildKit
 * gives proxy build args to every RUN step's environment, keeps them out of the image and out of
 * the cache key). None without a mirror.
 */
export function mirrorProxyArgs(o: DockerGraderOptions, build: string): Record<string, string> {
  if (!o.packageMirrorStatusUrl) return {};
  const proxy = `http://${BUILD_PROXY_USER}:${build}@${mirrorAddress(o)}:${o.packageMirrorPort}`;
  return { http_proxy: proxy, HTTP_PROXY: proxy };
}

/** What every build on kadai's buildkitd gets: the source policy (written beside the context), the mirror's names, the step limits. */
async function buildSettings(o: DockerGraderOptions, dir: BuildDirectory, images: string[], cgroupParent: string, runCacheSalt?: string) {
  const sourcePolicyFile = path.join(dir.root, 'source-policy.json');
  const registryHost = o.imageRegistry ? new URL(o.imageRegistry).host : '';
  await writeFile(sourcePolicyFile, JSON.stringify(buildSourcePolicy(registryHost, images)));
  // deb.debian.org too: the stand-ins' apt sources (plain HTTP) then reach the mirror unchanged
  const mirror = mirrorAddress(o);
  return {
    contextDir: dir.context,
    sourcePolicyFile,
    addHosts: [...(o.packageMirrorStatusUrl ? [o.packageMirrorHost, 'deb.debian.org'].map((h) => `${h}=${mirror}`) : []), ...(runCacheSalt ? [runCacheHost(runCacheSalt)] : [])],
    // the attempt's build cgroup (absolute, see cgroups.ts): BuildKit puts each step in <it>/buildkit/<id>
    cgroupParent,
    memoryBytes: o.buildMemoryBytes,
    cpus: o.buildCpus,
    // RLIMIT_FSIZE: no file a step writes may exceed the per-step disk limit (BuildKit's step
    // layers are not on the engine's btrfs, where the per-step quota applies; see the README)
    maxFileBytes: o.diskBytes,
  };
}

/**
 * One build on kadai's BuildKit daemon, the image handed to the engine through kadai's registry
 * (transfer.ts) and tagged `request.tag` there; the registry's copy is removed before this returns.
 * Returns BuildKit's message when the build failed (whose failure that is, the caller decides);
 * throws InfrastructureError when buildctl cannot run, the registry or the engine cannot take the image.
 */
export async function runBuildkitBuild(docker: Docker, o: DockerGraderOptions, dir: BuildDirectory, request: BuildRequest & { cgroupParent: string; mirrorBuild: string; runCacheSalt: string }, onLog: (text: string) => void, signal: AbortSignal): Promise<{ error?: string }> {
  const images = request.facts ? externalImages(request.facts).map((i) => i.ref) : [];
  const transfer = newTransfer(o.transferRegistry, request.tag);
  const build = {
    // whose cache its RUN steps may come from (run-cache.ts)
    ...(await buildSettings(o, dir, images, request.cgroupParent, request.runCacheSalt)),
    dockerfile: request.build.dockerfile,
    push: transfer.ref,
    // kadai's proxy variables win over a build arg of the same name
    args: { ...request.build.args, ...mirrorProxyArgs(o, request.mirrorBuild) },
    ...(request.build.target ? { target: request.build.target } : {}),
    labels: request.labels,
    cacheNamespace: request.cacheNamespace,
  };
  // whether the registry may hold something of this build (its export may have begun)
  let pushed = true;
  try {
    const result = await runBuildctl(o.buildkit, build, onLog, signal).catch((error: unknown) => {
      throw new InfrastructureError(`cannot run buildctl (${o.buildkit.buildctl}): ${(error as Error).message}`, false, { cause: error });
    });
    // The transfer's name is secret to this build (no step sees it): a failure naming it is the
    // push to kadai's registry failing, never something a student's step printed.
    if (result.error?.includes(transfer.repository)) throw new InfrastructureError(`buildkitd could not push the built image to kadai's registry: ${result.error}`, true);
    if (result.error) {
      pushed = false;
      return { error: result.error };
    }
    await pullTransfer(docker, transfer, request.tag);
    return {};
  } finally {
    if (pushed) await removeTransfer(transfer);
  }
}

/**
 * A build whose RUN step prints its own cgroup, that step run afresh and nothing exported: the
 * safety probe's proof that BuildKit puts build steps under the cgroup parent kadai gives it.
 * Returns the build's output; throws InfrastructureError (retryable) when the build fails.
 */
export async function probeBuildStep(o: DockerGraderOptions, cgroupParent: string): Promise<string> {
  // the cgroup path in the command makes the RUN step new each time (never answered from the cache); the base stays cached
  const dockerfile = `FROM ${o.helperImage}\nRUN echo probing ${cgroupParent} && cat /proc/self/cgroup\n`;
  const dir = await writeContext('.', new Map([['Dockerfile', Buffer.from(dockerfile)]]));
  try {
    const build = { ...(await buildSettings(o, dir, [], cgroupParent)), dockerfile: 'Dockerfile', push: '', args: {}, labels: {}, cacheNamespace: 'kadai-probe' };
    let output = '';
    const result = await runBuildctl(o.buildkit, build, (text) => (output += text), AbortSignal.timeout(60_000));
    if (result.error) throw new InfrastructureError(`the probe build on buildkitd failed: ${result.error}`, true);
    return output;
  } finally {
    await dir.remove();
  }
}
