import { startStack, type Stack } from '../support/stack';
import { attemptNamespaces, handIn, TEST_LABS } from './support';

// A lab that needs what the grading cluster does not offer is unavailable there, never a student's
// zero (issue 9, "Where the grader points"): through the real api and a worker on the local cluster
// whose node runtime is switched off (KADAI_NODE_RUNTIME_ENDPOINT=''), as on a managed cluster, so
// capability `killContainer` is missing. The submission ends `error` at once (not retried: waiting
// does not bring a capability; it does not count as an attempt), and the instructor reads which
// capability and why.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_capability', { redisDb: 12, workers: 1, labsDir: TEST_LABS, workerEnv: { KADAI_NODE_RUNTIME_ENDPOINT: '' } });
}, 240_000);
afterAll(() => stack?.stop());

it("ends a lab needing a capability the cluster lacks in `error`, naming it, without a retry or a namespace", async () => {
  const accepted = await stack.client('student1').submitJson({ lab: 'k8s-test-kill', files: handIn('k8s-test-kill', ['pods.yaml']) });
  const view = await stack.client('student1').waitForResult(accepted.id, 120_000);
  expect(view).toMatchObject({ state: 'error', score: null });
  expect(view.checks).toEqual([]);
  // the student reads that it was kadai's problem; the instructor reads which capability is missing and why
  expect(view.error).toMatch(/problem on kadai's side/);
  const seen = await stack.client('sensei').submission(accepted.id);
  expect(seen.error).toMatch(/^lab k8s-test-kill needs killContainer \(no node runtime endpoint is configured \(KADAI_NODE_RUNTIME_ENDPOINT\).*\), which this cluster does not offer$/);
  // not retried: claimed once (each claim raises the fencing token), and no namespace was made
  expect(await stack.sql('SELECT lease_token FROM submissions WHERE id = $1', [accepted.id])).toEqual([{ lease_token: 1 }]);
  expect(await attemptNamespaces(accepted.id)).toEqual([]);
}, 180_000);
