import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InfrastructureError } from '@kadai/errors';
import type Docker from 'dockerode';
import { externalImages } from '../build-policy';
import type { BuildRequest } from '../builder';
import { engineFailure } from '../engine';
import { gatewayOf } from '../isolation';
import type { DockerGraderOptions } from '../options';
import { runBuildctl } from './buildctl';
import { writeContext, type BuildDirectory } from './context';
import { buildSourcePolicy } from './source-policy';

/** Loads a docker tarball into the engine; the engine's error events are failures too. */
async function loadImage(docker: Docker, tarball: Readable): Promise<void> {
  try {
    const stream = await docker.loadImage(tarball, { quiet: true });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err) => (err ? reject(err) : resolve()),
        (event: { error?: string }) => event.error && reject(new Error(event.error)),
      ),
    );
  } catch (error) {
    throw engineFailure('load the built image', error);
  }
}

/** What every build on kadai's buildkitd gets: the source policy (written beside the context), the mirror's names, the step limits. */
async function buildSettings(o: DockerGraderOptions, dir: BuildDirectory, images: string[], cgroupParent: string) {
  const sourcePolicyFile = path.join(dir.root, 'source-policy.json');
  const registryHost = o.imageRegistry ? new URL(o.imageRegistry).host : '';
  await writeFile(sourcePolicyFile, JSON.stringify(buildSourcePolicy(registryHost, images)));
  // deb.debian.org too: the stand-ins' apt sources (plain HTTP) then reach the mirror unchanged
  const mirror = o.packageMirrorAddress || gatewayOf(o.buildSubnet);
  return {
    contextDir: dir.context,
    sourcePolicyFile,
    addHosts: o.packageMirrorStatusUrl ? [o.packageMirrorHost, 'deb.debian.org'].map((h) => `${h}=${mirror}`) : [],
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
 * One build on kadai's BuildKit daemon, the image loaded into the engine under `request.tag`.
 * Returns BuildKit's message when the build failed (whose failure that is, the caller decides);
 * throws InfrastructureError when buildctl cannot run or the engine cannot take the image.
 */
export async function runBuildkitBuild(docker: Docker, o: DockerGraderOptions, dir: BuildDirectory, request: BuildRequest & { cgroupParent: string }, onLog: (text: string) => void, signal: AbortSignal): Promise<{ error?: string }> {
  const images = request.facts ? externalImages(request.facts).map((i) => i.ref) : [];
  const build = {
    ...(await buildSettings(o, dir, images, request.cgroupParent)),
    dockerfile: request.build.dockerfile,
    tag: request.tag,
    args: request.build.args ?? {},
    ...(request.build.target ? { target: request.build.target } : {}),
    labels: request.labels,
    cacheNamespace: request.cacheNamespace,
  };
  const result = await runBuildctl(o.buildkit, build, onLog, (tarball) => loadImage(docker, tarball), signal).catch((error: unknown) => {
    throw new InfrastructureError(`cannot run buildctl (${o.buildkit.buildctl}): ${(error as Error).message}`, false, { cause: error });
  });
  if (result.error) {
    await result.loaded?.catch(() => undefined); // a half-sent tarball: the engine refuses it, nothing to keep
    return { error: result.error };
  }
  if (!result.loaded) throw new InfrastructureError('buildkitd finished the build but sent no image', true);
  await result.loaded;
  return {};
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
    const build = { ...(await buildSettings(o, dir, [], cgroupParent)), dockerfile: 'Dockerfile', tag: '', args: {}, labels: {}, cacheNamespace: 'kadai-probe' };
    let output = '';
    const result = await runBuildctl(o.buildkit, build, (text) => (output += text), () => Promise.resolve(), AbortSignal.timeout(60_000));
    if (result.error) throw new InfrastructureError(`the probe build on buildkitd failed: ${result.error}`, true);
    return output;
  } finally {
    await dir.remove();
  }
}
