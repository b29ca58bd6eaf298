import Redis from 'ioredis';
import { startStack, type Stack } from '../support/stack';
import { attemptNamespaces, handIn, TEST_LABS } from './support';

// A lab that needs what the grading cluster does not offer is unavailable there, never a student's
// zero (issue 9, "Where the grader points"): through the real api and a worker on the local cluster
// whose node runtime is switched off (KADAI_NODE_RUNTIME_ENDPOINT=''), as on a managed cluster, so
// capability `killContainer` is missing. The worker probes its cluster at start and publishes what it
// cannot grade: the catalog says why and the api takes no submission for it. A submission queued
// before any worker said so ends `error` at once (not retried: waiting does not bring a capability;
// it does not count as an attempt), and the instructor reads which capability and why.
const MISSING = /^lab k8s-test-kill needs killContainer \(no node runtime endpoint is configured \(KADAI_NODE_RUNTIME_ENDPOINT\).*\), which this cluster does not offer$/;
let stack: Stack;
let redis: Redis;
beforeAll(async () => {
  stack = await startStack('k8s_capability', { redisDb: 12, workers: 1, labsDir: TEST_LABS, workerEnv: { KADAI_NODE_RUNTIME_ENDPOINT: '', KADAI_LAB_AVAILABILITY_INTERVAL_MS: '3600000' } });
  // (the worker reports once at start and then only hourly: the second test removes its report and must not see it come back)
  redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
}, 240_000);
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

async function catalogEntry(id: string) {
  return (await stack.client('student1').labs()).labs.find((l) => l.id === id);
}

it('lists the lab as unavailable, saying which capability is missing and why, and refuses its submissions without using an attempt', async () => {
  const deadline = Date.now() + 60_000;
  while (!(await catalogEntry('k8s-test-kill'))?.unavailable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  expect((await catalogEntry('k8s-test-kill'))?.unavailable).toMatch(MISSING);
  // a lab the cluster can grade stays available
  expect((await stack.client('student1').labs()).labs.filter((l) => l.kind === 'kubernetes' && l.unavailable).map((l) => l.id)).toEqual(['k8s-test-kill']);
  expect(await stack.client('student1').lab('k8s-test-kill')).toMatchObject({ unavailable: expect.stringMatching(MISSING) });

  const refused = await fetch(`${stack.apiUrl}/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.student1}`, 'content-type': 'application/json' },
    body: JSON.stringify({ lab: 'k8s-test-kill', files: handIn('k8s-test-kill', ['pods.yaml']) }),
  });
  expect(refused.status).toBe(409);
  const problem = (await refused.json()) as { title: string; detail: string };
  expect(problem.title).toBe('Lab unavailable');
  expect(problem.detail).toMatch(/killContainer.*no attempt was used/);
  expect(await stack.sql(`SELECT id FROM submissions WHERE lab_id = 'k8s-test-kill'`)).toEqual([]);
}, 120_000);

it('ends a submission queued before any worker said so in `error`, naming the capability, without a retry or a namespace', async () => {
  // as if no worker had reported yet (this worker reports again only in an hour)
  await redis.del(`${stack.queuePrefix}:lab-availability`);
  // the api keeps what it read for 2 s
  const deadline = Date.now() + 15_000;
  while ((await catalogEntry('k8s-test-kill'))?.unavailable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  expect((await catalogEntry('k8s-test-kill'))?.unavailable).toBeUndefined();
  const accepted = await stack.client('student1').submitJson({ lab: 'k8s-test-kill', files: handIn('k8s-test-kill', ['pods.yaml']) });
  const view = await stack.client('student1').waitForResult(accepted.id, 120_000);
  expect(view).toMatchObject({ state: 'error', score: null });
  expect(view.checks).toEqual([]);
  // the student reads that it was kadai's problem; the instructor reads which capability is missing and why
  expect(view.error).toMatch(/problem on kadai's side/);
  const seen = await stack.client('sensei').submission(accepted.id);
  expect(seen.error).toMatch(MISSING);
  // not retried: claimed once (each claim raises the fencing token), and no namespace was made
  expect(await stack.sql('SELECT lease_token FROM submissions WHERE id = $1', [accepted.id])).toEqual([{ lease_token: 1 }]);
  expect(await attemptNamespaces(accepted.id)).toEqual([]);
}, 180_000);
