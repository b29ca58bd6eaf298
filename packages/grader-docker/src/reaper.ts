import type Docker from 'dockerode';
import { engine, isNotFound } from './engine';
import { CREATED_LABEL, SUBMISSION_LABEL, TOKEN_LABEL } from './sandbox';

export interface ReapResult {
  containers: number;
  networks: number;
  volumes: number;
  images: number;
}

const labelsOf = (x: { Labels?: Record<string, string> | null }) => x.Labels ?? {};

/** A grading run, as its resources are labelled: the submission and the fencing token of its lease. */
export interface EngineRun {
  submissionId: string;
  token: number;
}

const runKey = (r: EngineRun) => `${r.submissionId}/${r.token}`;

function runOf(labels: Record<string, string>): EngineRun | undefined {
  const submissionId = labels[SUBMISSION_LABEL];
  const token = Number(labels[TOKEN_LABEL]);
  return submissionId && Number.isInteger(token) && labels[TOKEN_LABEL] ? { submissionId, token } : undefined;
}

async function listLabelled(docker: Docker, filters: string) {
  const [containers, networks, volumes, images] = await Promise.all([
    engine('list containers', () => docker.listContainers({ all: true, filters })),
    engine('list networks', () => docker.listNetworks({ filters })),
    engine('list volumes', () => docker.listVolumes({ filters })),
    engine('list images', () => docker.listImages({ all: true, filters })),
  ]);
  return { containers, networks, volumes: (volumes.Volumes ?? []) as Array<Docker.VolumeInspectInfo & { Labels?: Record<string, string> }>, images };
}

/** The grading runs that have resources on the engine (the worker asks Postgres which are over). */
export async function runsOnEngine(docker: Docker): Promise<EngineRun[]> {
  const { containers, networks, volumes, images } = await listLabelled(docker, JSON.stringify({ label: [TOKEN_LABEL] }));
  const runs = new Map<string, EngineRun>();
  for (const x of [...containers, ...networks, ...volumes, ...images]) {
    const run = runOf(labelsOf(x));
    if (run) runs.set(runKey(run), run);
  }
  return [...runs.values()];
}

export interface ReapOptions {
  /** Resources created at least this long ago (0: all of them); leftovers no run accounts for. */
  olderThanMs?: number;
  /** Only this submission's resources. */
  submissionId?: string;
  /** Whatever their age, the resources of these runs: finished, requeued or taken over by another worker. */
  runs?: EngineRun[];
}

/**
 * Removes every container, network, volume and image labelled `kadai.submission` that is old enough
 * or belongs to one of the given runs. A grading removes its own run's resources itself; the worker
 * runs this at start and every few minutes for runs whose lease is over (and, by age, for what no
 * run of its database accounts for); tests run it for their own submissions.
 */
export async function reap(docker: Docker, options: ReapOptions): Promise<ReapResult> {
  const label = options.submissionId ? `${SUBMISSION_LABEL}=${options.submissionId}` : SUBMISSION_LABEL;
  const cutoff = options.olderThanMs === undefined ? -Infinity : Date.now() - options.olderThanMs;
  const over = new Set((options.runs ?? []).map(runKey));
  const doomed = (x: { Labels?: Record<string, string> | null }) => {
    const labels = labelsOf(x);
    const run = runOf(labels);
    return Number(labels[CREATED_LABEL] ?? 0) <= cutoff || (run !== undefined && over.has(runKey(run)));
  };
  const result: ReapResult = { containers: 0, networks: 0, volumes: 0, images: 0 };
  // gone already, or being removed right now by its own run's cleanup (409 "already in progress")
  const ignore404 = (e: unknown) => {
    if (!isNotFound(e) && !/already in progress/.test((e as Error).message)) throw e;
  };
  const { containers, networks, volumes, images } = await listLabelled(docker, JSON.stringify({ label: [label] }));
  for (const c of containers.filter(doomed)) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).then(() => result.containers++, ignore404);
  }
  for (const n of networks.filter(doomed)) {
    await docker.getNetwork(n.Id).remove().then(() => result.networks++, ignore404);
  }
  for (const v of volumes.filter(doomed)) {
    await docker.getVolume(v.Name).remove().then(() => result.volumes++, ignore404);
  }
  for (const i of images.filter(doomed)) {
    await docker.getImage(i.Id).remove({ force: true }).then(() => result.images++, ignore404);
  }
  return result;
}

/** Everything still labelled for one submission (tests assert this is empty after grading). */
export async function leftovers(docker: Docker, submissionId: string): Promise<string[]> {
  const { containers, networks, volumes, images } = await listLabelled(docker, JSON.stringify({ label: [`${SUBMISSION_LABEL}=${submissionId}`] }));
  return [
    ...containers.map((c) => `container ${c.Names.join(',')}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...images.map((i) => `image ${(i.RepoTags ?? []).join(',') || i.Id}`),
  ];
}
