import { VOLUME_ROOT } from '@kadai/grader-kubernetes';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../cluster/kube';
import { FAST_LEASE_ENV, REPO_ROOT, startStack, type Stack } from '../support/stack';
import { labsFolder } from './cluster';
import { attemptNamespaces, handIn, noNamespaceLeft, TEST_LABS } from './support';

// A worker SIGKILLed mid-grading never deletes its attempt namespace: the next worker takes the
// submission over (a new lease token), and its reaper removes the killed run's namespace as soon as
// that run's lease is over — never the live run's. The same for the node directory of a student's
// PersistentVolume copy (EX-5.2): removed after the attempt, and by the reaper for a killed one.
const PV_LAB = path.join(REPO_ROOT, 'labs/k8s-pv-pvc');
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_reaper', { redisDb: 13, workers: 0, labsDir: labsFolder([path.join(TEST_LABS, 'k8s-test-steps'), PV_LAB]), workerEnv: FAST_LEASE_ENV });
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

it("removes the node directory of a student's volume copy after the attempt, and a killed worker's by the reaper", async () => {
  const killed = await stack.startWorker({ KADAI_WORKER_ID: 'killed-pv' });
  const client = stack.client('student2');
  const files = Object.fromEntries(['pv.yaml', 'cleanup.txt'].map((f) => [f, readFileSync(path.join(PV_LAB, 'solution', f), 'utf8')]));
  const { id } = await client.submitJson({ lab: 'k8s-pv-pvc', files });
  const [first] = await eventually('the first run has its namespace', async () => {
    const found = await attemptNamespaces(id);
    return found.length ? found : undefined;
  }, 120_000, 200);
  const firstDir = path.join(VOLUME_ROOT, first!.name);
  await eventually("the volume copy's directory made on the node", async () => existsSync(firstDir), 120_000, 200);
  killed.kill('SIGKILL');
  await exited(killed);

  const survivor = await stack.startWorker({ KADAI_WORKER_ID: 'survivor-pv', KADAI_KUBE_REAP_INTERVAL_MS: '1000' });
  let secondDir: string | undefined;
  const watching = eventually('the second run has its namespace', async () => {
    const second = (await attemptNamespaces(id)).find((ns) => ns.name !== first!.name);
    if (second && existsSync(path.join(VOLUME_ROOT, second.name))) secondDir = path.join(VOLUME_ROOT, second.name);
    return secondDir;
  }, 300_000, 200);
  const view = await client.waitForResult(id, 300_000);
  expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
  await watching;
  // the survivor's own attempt: its directory goes with its namespace, before the result is stored
  expect(existsSync(secondDir!)).toBe(false);
  // the killed run's: once its namespace is gone altogether (its Pod may still write while it terminates)
  await eventually("the killed run's volume directory reaped", async () => !existsSync(firstDir), 180_000, 1000);
  expect(stack.logOf('survivor-pv')).toMatch(new RegExp(`"volumeDirs":\\[[^\\]]*"${first!.name}"`));
  await noNamespaceLeft(id);
  survivor.kill('SIGTERM');
  expect(await exited(survivor)).toBe(0);
}, 600_000);
