import type { ChildProcess } from 'node:child_process';
import { deleteKeys, solutionAnswers, startStack, type Stack } from '../support/stack';

// Short timings so BullMQ notices a dead worker and the sweeper a lost job within seconds.
const FAST = {
  KADAI_LOCK_DURATION_MS: '2000',
  KADAI_STALLED_INTERVAL_MS: '1000',
  KADAI_SWEEP_INTERVAL_MS: '300',
  KADAI_SWEEP_QUEUED_AFTER_MS: '1000',
  KADAI_LEASE_MS: '3000',
  KADAI_HEARTBEAT_MS: '500',
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('resilience', { redisDb: 3, workers: 0, workerEnv: FAST });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

async function waitForState(id: string, state: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await stack.sql(`SELECT state, worker_id, grading_run, score::float8 AS score FROM submissions WHERE id = $1`, [id]);
    if (row?.state === state) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`submission ${id} did not reach ${state}`);
}

it('grades a submission exactly once when its worker is killed mid-job', async () => {
  const doomed = await stack.startWorker({ KADAI_WORKER_ID: 'doomed', KADAI_FAULT_DELAY_MS: '60000' });
  const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
  await waitForState(id, 'running');
  doomed.kill('SIGKILL');
  await exited(doomed);

  const rescuer = await stack.startWorker({ KADAI_WORKER_ID: 'rescuer' });
  const row = await waitForState(id, 'graded');
  expect(row).toMatchObject({ worker_id: 'rescuer', grading_run: 1, score: 8 });
  const results = await stack.sql(`SELECT grading_run, count(*)::int AS n FROM check_results WHERE submission_id = $1 GROUP BY grading_run`, [id]);
  expect(results).toEqual([{ grading_run: 1, n: 8 }]);
  rescuer.kill('SIGTERM');
  expect(await exited(rescuer)).toBe(0);
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

it("loses nothing when Redis loses kadai's keys: the sweeper enqueues again from Postgres", async () => {
  const { id } = await stack.client('student2').submitJson({ lab: 'quiz-ch02', answers: solutionAnswers('quiz-ch02') });
  // Everything kadai holds in Redis is gone, as after FLUSHALL or a Redis restart without persistence.
  expect(await deleteKeys(stack.redis, `${stack.queuePrefix}:*`)).toBeGreaterThan(0);
  expect(await stack.redis.keys(`${stack.queuePrefix}:*`)).toEqual([]);
  const worker = await stack.startWorker({ KADAI_WORKER_ID: 'after-flush' });
  expect(await waitForState(id, 'graded')).toMatchObject({ worker_id: 'after-flush', score: 5 });
  worker.kill('SIGTERM');
  await exited(worker);
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

it('finishes the running job on SIGTERM before exiting', async () => {
  const worker = await stack.startWorker({ KADAI_WORKER_ID: 'graceful', KADAI_FAULT_DELAY_MS: '1500' });
  const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch03', answers: solutionAnswers('quiz-ch03') });
  await waitForState(id, 'running');
  worker.kill('SIGTERM');
  expect(await exited(worker)).toBe(0);
  expect(await waitForState(id, 'graded', 1000)).toMatchObject({ worker_id: 'graceful' });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
