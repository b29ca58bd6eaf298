import type { ChildProcess } from 'node:child_process';
import { eventually } from '../cluster/kube';
import { FAST_LEASE_ENV, startStack, type Stack } from '../support/stack';
import { attemptNamespaces, handIn, noNamespaceLeft, TEST_LABS } from './support';

// A worker SIGKILLed mid-grading never deletes its attempt namespace: the next worker takes the
// submission over (a new lease token), and its reaper removes the killed run's namespace as soon as
// that run's lease is over — never the live run's.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_reaper', { redisDb: 13, workers: 0, labsDir: TEST_LABS, workerEnv: FAST_LEASE_ENV });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

it("removes a killed worker's attempt namespace once another worker has taken the submission over", async () => {
  const killed = await stack.startWorker({ KADAI_WORKER_ID: 'killed' });
  const client = stack.client('student1');
  const { id } = await client.submitJson({ lab: 'k8s-test-steps', files: handIn('k8s-test-steps', ['app.yaml', 'commands.txt']) });
  const [first] = await eventually('the first run has its namespace', async () => {
    const found = await attemptNamespaces(id);
    return found.length ? found : undefined;
  }, 120_000, 200);
  killed.kill('SIGKILL'); // mid-grading: no cleanup of its own
  await exited(killed);
  expect((await attemptNamespaces(id)).map((ns) => ns.name)).toContain(first!.name);

  const survivor = await stack.startWorker({ KADAI_WORKER_ID: 'survivor', KADAI_KUBE_REAP_INTERVAL_MS: '1000' });
  // the killed run's namespace goes while the survivor still grades the submission in its own
  await eventually("the killed run's namespace reaped", async () => !(await attemptNamespaces(id)).some((ns) => ns.name === first!.name && ns.phase === 'Active'), 90_000, 500);
  const view = await client.waitForResult(id, 300_000);
  expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
  expect((await stack.sql(`SELECT worker_id, lease_token FROM submissions WHERE id = $1`, [id]))[0]).toEqual({ worker_id: 'survivor', lease_token: 2 });
  expect(stack.logOf('survivor')).toContain(first!.name);
  await noNamespaceLeft(id);
  survivor.kill('SIGTERM');
  expect(await exited(survivor)).toBe(0);
}, 480_000);
