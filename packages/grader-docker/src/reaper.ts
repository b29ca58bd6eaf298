import type Docker from 'dockerode';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { engine, isNotFound } from './engine';
import { CREATED_LABEL, SUBMISSION_LABEL } from './sandbox';

export interface ReapResult {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
}

const labelsOf = (x: { Labels?: Record<string, string> | null }) => x.Labels ?? {};

/**
 * Removes every container, network, volume and image labelled `kadai.submission` whose
 * `kadai.created` is older than `olderThanMs` (0: all of them), or only those of one submission.
 * The worker runs it at start and every few minutes; tests run it for their own submissions.
 */
export async function reap(docker: Docker, options: { olderThanMs: number; submissionId?: string }): Promise<ReapResult> {
  const label = options.submissionId ? `${SUBMISSION_LABEL}=${options.submissionId}` : SUBMISSION_LABEL;
  const filters = JSON.stringify({ label: [label] });
  const cutoff = Date.now() - options.olderThanMs;
  const old = (labels: Record<string, string>) => Number(labels[CREATED_LABEL] ?? 0) <= cutoff;
  const result: ReapResult = { containers: 0, networks: 0, volumes: 0, images: 0 };
  const ignore404 = (e: unknown) => {
    if (!isNotFound(e)) throw e;
  };
  const containers = await engine('list containers', () => docker.listContainers({ all: true, filters }));
  for (const c of containers.filter((c) => old(labelsOf(c)))) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).then(() => result.containers++, ignore404);
  }
  const networks = await engine('list networks', () => docker.listNetworks({ filters }));
  for (const n of networks.filter((n) => old(labelsOf(n)))) {
    await docker.getNetwork(n.Id).remove().then(() => result.networks++, ignore404);
  }
  const volumes = (await engine('list volumes', () => docker.listVolumes({ filters }))).Volumes ?? [];
  for (const v of volumes.filter((v) => old(labelsOf(v as { Labels?: Record<string, string> })))) {
    await docker.getVolume(v.Name).remove().then(() => result.volumes++, ignore404);
  }
  const images = await engine('list images', () => docker.listImages({ all: true, filters }));
  for (const i of images.filter((i) => old(labelsOf(i)))) {
    await docker.getImage(i.Id).remove({ force: true, noprune: true }).then(() => result.images++, ignore404);
  }
  return result;
}

/** Everything still labelled for one submission (tests assert this is empty after grading). */
export async function leftovers(docker: Docker, submissionId: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${SUBMISSION_LABEL}=${submissionId}`] });
  const [containers, networks, volumes, images] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    docker.listImages({ all: true, filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names.join(',')}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
    ...images.map((i) => `image ${(i.RepoTags ?? []).join(',') || i.Id}`),
  ];
}

/**
 * A pids limit for all build containers together: builds run under this cgroup parent (cgroup v1
 * or v2, cgroupfs driver), so a fork bomb in a RUN step stops at the limit instead of exhausting the
 * machine's PIDs. Returns false (and builds run without it) when the cgroup cannot be written.
 */
export async function ensureBuildCgroup(parent: string, pidsLimit: number, root = '/sys/fs/cgroup'): Promise<boolean> {
  if (!parent || pidsLimit <= 0 || parent.includes('..')) return false;
  // cgroup v1 has a pids hierarchy of its own; v2 has one tree (pids must be enabled at the root).
  const v1 = await stat(path.join(root, 'pids')).then((s) => s.isDirectory(), () => false);
  const dir = v1 ? path.join(root, 'pids', parent) : path.join(root, parent);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'pids.max'), String(pidsLimit));
    return true;
  } catch {
    return false;
  }
}
