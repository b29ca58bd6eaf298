import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack, FAST_LEASE_ENV } from '../support/stack';
import { until } from '../support/until';

// One grading at a time on a real engine, through the api and two worker processes: the first
// worker is frozen (SIGSTOP) mid-grading with its containers up, its BullMQ lock and lease run out,
// a second worker takes the run over and grades it in resources of its own; the first, thawed while
// the second is grading, has its write refused and removes only its own run's resources.
const FAST = FAST_LEASE_ENV;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_lease', { redisDb: 9, workers: 0, workerEnv: FAST });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const docker = createDockerGrader().docker;
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

/** Names of the containers of one grading run (submission + lease token) on the engine. */
async function containersOf(submissionId: string, token: number): Promise<string[]> {
  const filters = JSON.stringify({ label: [`kadai.submission=${submissionId}`, `kadai.lease-token=${token}`] });
  return (await docker.listContainers({ all: true, filters })).flatMap((c) => c.Names);
}

it("a worker frozen mid-grading loses its lease: the second worker's grade stands, the first's write is refused, nothing is left", async () => {
  const first = await stack.startWorker({ KADAI_WORKER_ID: 'frozen' });
  const runLine = readFileSync(path.join(REPO_ROOT, 'labs', 'docker-run-nginx', 'solution', 'run.txt'), 'utf8');
  const { id } = await stack.client('student1').submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': runLine } });

  // Freeze the first worker as soon as its run's container exists on the engine.
  const firstContainers = await until('the first run has a container', async () => ((await containersOf(id, 1)).length > 0 ? containersOf(id, 1) : undefined), 120_000, 20);
  first.kill('SIGSTOP');
  expect(firstContainers.every((name) => name.includes(`-1-`))).toBe(true);

  // The second worker takes the run over once the lease has run out, in resources named for token 2.
  const second = await stack.startWorker({ KADAI_WORKER_ID: 'second' });
  // Its own resources, under names of its own (the first's may already be gone: once its lease is
  // over, the second worker's start-up reaper may remove them, which is right).
  const secondContainers = await until('the second run has a container', async () => ((await containersOf(id, 2)).length > 0 ? containersOf(id, 2) : undefined), 120_000, 20);
  expect(secondContainers.every((name) => name.includes(`-2-`) && !firstContainers.includes(name))).toBe(true);

  // Thawed while the second grades: the first finds its lease gone, stops, and cleans up its own run.
  first.kill('SIGCONT');
  const view = await stack.client('student1').waitForResult(id, 120_000);
  expect(view).toMatchObject({ state: 'graded', score: 7, maxScore: 7 });
  const [row] = await stack.sql(`SELECT worker_id, lease_token, graded_run FROM submissions WHERE id = $1`, [id]);
  expect(row).toEqual({ worker_id: 'second', lease_token: 2, graded_run: 1 });
  await until("the first worker's outcome is discarded", async () => (/lease lost|write refused/.test(stack.logOf('frozen')) ? true : undefined), 30_000);
  expect(stack.logOf('frozen')).toMatch(/"token":1,.*(lease lost|write refused)/);
  expect(await stack.sql(`SELECT grading_run, count(*)::int AS n FROM check_results WHERE submission_id = $1 GROUP BY grading_run`, [id])).toEqual([{ grading_run: 1, n: 5 }]);

  // Nothing of either run is left on the engine.
  await until('both runs cleaned up', async () => ((await leftovers(docker, id)).length === 0 ? true : undefined), 60_000, 500);
  for (const worker of [first, second]) {
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  }
}, 300_000);

it("removes a killed worker's run from the engine once its lease is over, and never a live run's", async () => {
  const killed = await stack.startWorker({ KADAI_WORKER_ID: 'killed' });
  const runLine = readFileSync(path.join(REPO_ROOT, 'labs', 'docker-run-nginx', 'solution', 'run.txt'), 'utf8');
  const { id } = await stack.client('student2').submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': runLine } });
  await until('the first run has a container', async () => ((await containersOf(id, 1)).length > 0 ? true : undefined), 120_000, 20);
  killed.kill('SIGKILL'); // no cleanup of its own: its run's resources stay on the engine
  await exited(killed);

  // The survivor's reaper runs every second: it must leave run 1 alone while that still holds the
  // submission, remove it once run 2 has taken over, and never touch run 2 while it grades.
  const survivor = await stack.startWorker({ KADAI_WORKER_ID: 'survivor', KADAI_DOCKER_REAP_INTERVAL_MS: '1000' });
  const view = await stack.client('student2').waitForResult(id, 120_000);
  expect(view).toMatchObject({ state: 'graded', score: 7 });
  expect((await stack.sql(`SELECT worker_id, lease_token FROM submissions WHERE id = $1`, [id]))[0]).toEqual({ worker_id: 'survivor', lease_token: 2 });
  // by the survivor's reaper, which logs what it removed once its pass (the registry's part too) is over:
  // the containers can be gone a moment before that line is written
  const reapedBySurvivor = () => /"removed":\{"containers":[1-9]/.test(stack.logOf('survivor'));
  await until("the killed worker's run is reaped", async () => ((await leftovers(docker, id)).length === 0 && reapedBySurvivor() ? true : undefined), 60_000, 500);
  survivor.kill('SIGTERM');
  expect(await exited(survivor)).toBe(0);
}, 300_000);
