import { createDockerGrader, KADAI_ENGINE_SOCKET, leftovers, reap } from '@kadai/grader-docker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { engineProxy, startTestRegistry, type TestRegistry } from '../support/faults';
import { freePort, startStack, type Stack } from '../support/stack';
import { buildProcesses } from './support';
import { until } from '../support/until';

// Through the real api and worker, what is kadai's failure and what is the student's:
// - a build slower than the attempt's budget is the student's failed check, graded at once, no retries;
// - an image no registry of kadai has is the student's failed check; kadai's registry dying in the
//   middle of a pull, or the engine going away mid-grading, is retried and ends `error`, never a 0;
// - the same for the registry built images pass through to the engine (buildkit/transfer.ts), or the
//   engine, going away while an image is being built.
// The faults hit only this test's worker: its engine socket is a proxy the test cuts, and the
// registry that dies is the test's own instance of the real registry binary.

const engine = createDockerGrader().docker;
/** The docker CLI on kadai's engine (never the machine's own Docker). */
const dockerCli = (args: string[], input?: string) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${KADAI_ENGINE_SOCKET}`, DOCKER_BUILDKIT: '0' }, ...(input ? { input } : {}) });
let stack: Stack;
let registry: TestRegistry;
let engineLink: Awaited<ReturnType<typeof engineProxy>>;
let work: string;
const submitted: string[] = [];
const bigImage = `kadai-test/big-${randomUUID().slice(0, 8)}:1`;

const title = (s: string) => `{ ja: "${s}", en: "${s}" }`;
function writeLab(labsDir: string, id: string, timeLimitSeconds: number, docker: string, checks: string, solution: Record<string, string>): void {
  mkdirSync(path.join(labsDir, id, 'solution'), { recursive: true });
  for (const [file, text] of Object.entries(solution)) writeFileSync(path.join(labsDir, id, 'solution', file), text);
  writeFileSync(
    path.join(labsDir, id, 'lab.yaml'),
    `id: ${id}\nkind: docker\nchapter: 0\ntitle: ${title(id)}\ninstructions: ${title(id)}\ntimeLimitSeconds: ${timeLimitSeconds}\nsubmission: { maxBytes: 65536, files: [] }\ndocker: ${docker}\nchecks:\n${checks}`,
  );
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kadai-faults-'));
  const labsDir = path.join(work, 'labs');
  mkdirSync(labsDir);
  writeLab(labsDir, 'slow-build', 40, '{ input: build, ports: [80] }', `  - { id: builds, type: build, title: ${title('builds')}, points: 1 }\n  - { id: serves, type: http, title: ${title('serves')}, points: 1, port: 80, timeoutSeconds: 5 }\n`, { Dockerfile: 'FROM nginx:1.21\n' });
  writeLab(labsDir, 'build-one', 120, '{ input: build }', `  - { id: builds, type: build, title: ${title('builds')}, points: 1 }\n  - { id: running, type: container, title: ${title('running')}, points: 1 }\n`, { Dockerfile: 'FROM busybox:1.36\nCMD ["sleep", "600"]\n' });
  writeLab(labsDir, 'run-one', 120, '{ input: run }', `  - { id: running, type: container, title: ${title('running')}, points: 1 }\n  - { id: answers, type: http, title: ${title('answers')}, points: 1, port: 80, bodyContains: "never there", timeoutSeconds: 20 }\n`, { 'run.txt': 'docker run -d nginx:1.21\n' });
  registry = await startTestRegistry(path.join(work, 'registry'), await freePort(), await freePort());
  // A 48 MiB layer nobody else has, pushed to the test's registry and removed from the engine, so the worker must pull it.
  dockerCli(['build', '-q', '-t', `${registry.direct}/${bigImage}`, '-'], 'FROM busybox:1.36\nRUN dd if=/dev/urandom of=/blob bs=1048576 count=48 2>/dev/null\n');
  dockerCli(['push', '-q', `${registry.direct}/${bigImage}`]);
  dockerCli(['rmi', `${registry.direct}/${bigImage}`]);
  engineLink = await engineProxy(path.join(work, 'engine.sock'));
  stack = await startStack('docker_faults', {
    redisDb: 14,
    labsDir,
    workerEnv: { KADAI_DOCKER_SOCKET: path.join(work, 'engine.sock'), KADAI_DOCKER_REGISTRIES: `http://${registry.proxied}`, KADAI_DOCKER_TRANSFER_REGISTRY: `http://${registry.proxied}` },
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  registry?.stop();
  engineLink?.cut();
  for (const id of submitted) await reap(engine, { olderThanMs: 0, submissionId: id });
  if (work) rmSync(work, { recursive: true, force: true });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

async function submit(lab: string, files: Record<string, string>): Promise<string> {
  const { id } = await stack.client('student1').submitJson({ lab, files });
  submitted.push(id);
  return id;
}

const row = async (id: string) =>
  (await stack.sql<{ state: string; score: number | null; infra_retries: number; error_message: string | null }>(`SELECT state, score::float8 AS score, infra_retries, error_message FROM submissions WHERE id = $1`, [id]))[0]!;
const checksOf = async (id: string) => stack.sql<{ check_id: string; status: string; message_en: string; evidence: string | null }>(`SELECT check_id, status, message_en, evidence FROM check_results WHERE submission_id = $1 ORDER BY check_id`, [id]);

const finished = (id: string, timeoutMs: number) => until(`submission ${id} finished`, async () => ((r) => (['graded', 'error', 'rejected'].includes(r.state) ? r : undefined))(await row(id)), timeoutMs);

it("ends a build slower than the attempt's budget as the student's failed check, graded at once without retries", async () => {
  const started = Date.now();
  const id = await submit('slow-build', { Dockerfile: 'FROM busybox:1.36\nRUN sleep 300\n' });
  const result = await finished(id, 70_000);
  expect(result).toMatchObject({ state: 'graded', score: 0, infra_retries: 0 });
  // The lab allows 40 s (the build gets what is left after keeping 40 % for starting and checking):
  // graded well before the runner's deadline for a hung grader (40 + 20 + 20 s).
  expect(Date.now() - started).toBeLessThan(80_000);
  const [builds, serves] = await checksOf(id);
  expect(builds).toMatchObject({ check_id: 'builds', status: 'fail' });
  expect(builds?.message_en).toMatch(/^The build did not finish within 2\d s of the attempt's 40 s budget\.$/);
  expect(serves).toMatchObject({ check_id: 'serves', status: 'skipped' });
  expect(await leftovers(engine, id)).toEqual([]);
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

it("fails the student's check for an image kadai's registries do not have, naming it", async () => {
  const id = await submit('run-one', { 'run.txt': `docker run -d ${registry.proxied}/kadai-test/no-such-image:1\ndocker run -d ngnix-typo-${randomUUID().slice(0, 8)}:1.21\n` });
  expect(await finished(id, 60_000)).toMatchObject({ state: 'graded', score: 0, infra_retries: 0 });
  const [, running] = await checksOf(id);
  expect(running).toMatchObject({ check_id: 'running', status: 'fail' });
  expect(running?.evidence).toMatch(/the image 127\.0\.0\.1:\d+\/kadai-test\/no-such-image:1 is not available: kadai's registry does not have it/);
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

/** A Dockerfile whose one RUN step takes 8 s the first time (nothing cached: a new line each test). */
const slowStep = () => `FROM busybox:1.36\nRUN sleep 8 && echo ${randomUUID()} > /stamp\nCMD ["sleep", "600"]\n`;
/** Until a RUN step of the attempt runs (a process in its build cgroup). */
const building = (id: string) => until('a build step runs', async () => (buildProcesses(id).length > 0 ? true : undefined), 60_000);

it('retries when the registry built images pass through to the engine goes away mid-build, then records error — never a 0', async () => {
  const id = await submit('build-one', { Dockerfile: slowStep() });
  await building(id);
  registry.proxy.cut();
  try {
    const result = await finished(id, 240_000);
    expect(result).toMatchObject({ state: 'error', score: null, infra_retries: 2 });
    expect(result.error_message).toMatch(/kadai's registry/);
    expect(await checksOf(id)).toEqual([]);
  } finally {
    await registry.proxy.listen(Number(registry.proxied.split(':')[1]));
  }
  expect(await leftovers(engine, id)).toEqual([]);
}, 300_000);

it('retries when the engine goes away while an image is being built, then records error — never a 0; the registry keeps nothing of it', async () => {
  const id = await submit('build-one', { Dockerfile: slowStep() });
  await building(id);
  engineLink.cut();
  try {
    const result = await finished(id, 240_000);
    expect(result).toMatchObject({ state: 'error', score: null, infra_retries: 2 });
    expect(result.error_message).toMatch(/docker engine/);
    expect(await checksOf(id)).toEqual([]);
  } finally {
    rmSync(path.join(work, 'engine.sock'), { force: true });
    await engineLink.listen(path.join(work, 'engine.sock'));
  }
  // the image was pushed (the build finished), then taken out of the registry although the engine never pulled it
  const { repositories } = (await (await fetch(`http://${registry.direct}/v2/_catalog?n=1000`)).json()) as { repositories: string[] };
  const attempt = `kadai-attempts/kadai-${id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}-`;
  const pushed = repositories.filter((r) => r.startsWith(attempt));
  expect(pushed.length).toBeGreaterThan(0);
  for (const repository of pushed) expect((await fetch(`http://${registry.direct}/v2/${repository}/manifests/latest`)).status).toBe(404);
  await reap(engine, { olderThanMs: 0, submissionId: id });
}, 300_000);

it("retries when kadai's registry dies in the middle of a pull, then records error — never a 0", async () => {
  registry.proxy.whenPast(4 * 1024 * 1024, () => registry.stop());

  const id = await submit('run-one', { 'run.txt': `docker run -d ${registry.proxied}/${bigImage}\n` });
  const result = await finished(id, 240_000);
  expect(registry.proxy.downstreamBytes).toBeGreaterThan(4 * 1024 * 1024); // it did die mid-pull
  expect(result).toMatchObject({ state: 'error', score: null, infra_retries: 2 });
  expect(result.error_message).toMatch(/kadai's registry is not answering/);
  expect(await checksOf(id)).toEqual([]);
}, 300_000);

it('retries when the engine goes away mid-grading, then records error — never a 0', async () => {
  // A container that never answers HTTP keeps the http check polling the engine for 20 s.
  const id = await submit('run-one', { 'run.txt': 'docker run -d busybox:1.36 sleep 600\n' });
  await until('the attempt runs', async () => ((await engine.listContainers({ filters: JSON.stringify({ label: [`kadai.submission=${id}`], status: ['running'] }) })).length > 0 ? true : undefined), 60_000);
  await new Promise((r) => setTimeout(r, 2000));
  engineLink.cut();
  const result = await finished(id, 120_000);
  expect(result).toMatchObject({ state: 'error', score: null, infra_retries: 2 });
  expect(result.error_message).toMatch(/docker engine/);
  expect(await checksOf(id)).toEqual([]);
}, 180_000);
