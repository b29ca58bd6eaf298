import type { SubmissionView } from '@kadai/client';
import { ATTEMPT_NODE_LABEL } from '@kadai/k8s-nodes';
import { MANAGED_BY, ObjectClient, SUBMISSION_LABEL } from '@kadai/k8s-sandbox';
import { CoreV1Api, Watch, type V1Node } from '@kubernetes/client-node';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FAST_LEASE_ENV, REPO_ROOT, startStack, type Stack } from '../support/stack';
import { adminKube, labsFolder, WORKER_KUBECONFIG, workerKube } from './cluster';
import { until } from '../support/until';

// Chapter 6's scheduling labs on per-attempt fake nodes (packages/k8s-nodes), through the real api
// and worker, grading as kadai's fenced identity (their self-tests run in selftest.test.ts): two
// attempts at once on nodes of their own; nothing left after grading, nor after a worker killed mid-grading (reaper);
// and the fence: the worker's identity cannot touch the real node or the shared fake nodes.
jest.setTimeout(600_000);

const LABS = ['k8s-node-labels', 'k8s-node-selector', 'k8s-node-affinity', 'k8s-taints-tolerations'].map((id) => path.join(REPO_ROOT, 'labs', id));
const kc = workerKube();
const core = kc.makeApiClient(CoreV1Api);
const adminCore = adminKube().makeApiClient(CoreV1Api);
let stack: Stack;
let labsDir: string;
let worker: ChildProcess;
const WORKER_ENV = { KADAI_KUBECONFIG: WORKER_KUBECONFIG, KADAI_KUBE_REAP_INTERVAL_MS: '2000' };

beforeAll(async () => {
  labsDir = labsFolder(LABS);
  stack = await startStack('k8s_sched', { redisDb: 10, workers: 0, labsDir, workerEnv: WORKER_ENV });
  worker = await stack.startWorker({ KADAI_WORKER_ID: 'sched', KADAI_CONCURRENCY_KUBERNETES: '4' });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
});

const attemptNodes = async (): Promise<V1Node[]> => (await core.listNode({ labelSelector: ATTEMPT_NODE_LABEL })).items;
const namespacesOf = async (submissionId: string): Promise<string[]> =>
  (await core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value},${SUBMISSION_LABEL}=${submissionId}` })).items.map((n) => n.metadata?.name ?? '');
const nodesOfNamespace = async (namespace: string) => (await attemptNodes()).filter((n) => n.metadata?.labels?.[ATTEMPT_NODE_LABEL] === namespace).map((n) => n.metadata?.name ?? '');

function solutionFiles(lab: string): Record<string, string> {
  const dir = path.join(REPO_ROOT, 'labs', lab, 'solution');
  return Object.fromEntries(execFileSync('find', [dir, '-type', 'f', '-printf', '%P\n'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

it('two attempts at once each get nodes of their own; every Pod runs on its own attempt\'s nodes; no node is left', async () => {
  // A grading on kwok nodes takes a few seconds, and its nodes go as soon as it ends: every attempt
  // node that ever exists is recorded from a watch started before the submissions.
  const nodesSeen = new Map<string, V1Node>();
  const watch = await new Watch(kc).watch('/api/v1/nodes', { labelSelector: ATTEMPT_NODE_LABEL }, (type: string, node: V1Node) => {
    if (type === 'ADDED') nodesSeen.set(node.metadata?.name ?? '', node);
  }, () => undefined);
  try {
    const files = solutionFiles('k8s-node-selector');
    const [a, b] = await Promise.all([stack.client('student1').submitJson({ lab: 'k8s-node-selector', files }), stack.client('student2').submitJson({ lab: 'k8s-node-selector', files })]);
    // while both grade: each attempt's placed Pods
    const pods = await until('both attempts with a placed pod1 each', async () => {
      const listed = [...(await namespacesOf(a.id)), ...(await namespacesOf(b.id))];
      const placed = (await Promise.all(listed.map((ns) => core.listNamespacedPod({ namespace: ns }).then((l) => l.items, () => [])))).flat().filter((p) => p.spec?.nodeName);
      return new Set(placed.filter((p) => p.metadata?.name === 'pod1').map((p) => p.metadata?.namespace)).size === 2 ? placed : undefined;
    }, 120_000);
    const views: SubmissionView[] = await Promise.all([stack.client('student1').waitForResult(a.id, 280_000), stack.client('student2').waitForResult(b.id, 280_000)]);
    for (const view of views) expect(`${view.state} ${view.score}/${view.maxScore}`).toBe(`graded ${view.maxScore}/${view.maxScore}`);
    const namespaces = [...new Set(pods.map((p) => p.metadata?.namespace ?? ''))];
    for (const ns of namespaces) expect([...nodesSeen.values()].filter((n) => n.metadata?.labels?.[ATTEMPT_NODE_LABEL] === ns).map((n) => n.metadata?.labels?.['kubernetes.io/hostname']).sort()).toEqual(['minikube', 'minikube-m02', 'minikube-m03']);
    for (const pod of pods) {
      const node = nodesSeen.get(pod.spec?.nodeName ?? '');
      expect(`${pod.metadata?.namespace}/${pod.metadata?.name} on ${node?.metadata?.labels?.[ATTEMPT_NODE_LABEL]}`).toBe(`${pod.metadata?.namespace}/${pod.metadata?.name} on ${pod.metadata?.namespace}`);
    }
    for (const ns of namespaces) expect(await until(`the nodes of ${ns} removed`, async () => ((await nodesOfNamespace(ns)).length === 0 ? [] : undefined), 30_000)).toEqual([]);
  } finally {
    watch.abort();
  }
});

it('the nodes of a worker killed mid-grading are removed by the reaper', async () => {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  // the only worker now: it grades this submission, and is killed while it does
  const doomed = await stack.startWorker({ ...FAST_LEASE_ENV, KADAI_WORKER_ID: 'sched-doomed' });
  const submission = await stack.client('student1').submitJson({ lab: 'k8s-taints-tolerations', files: solutionFiles('k8s-taints-tolerations') });
  const namespace = await until('the attempt namespace with its nodes', async () => {
    for (const ns of await namespacesOf(submission.id)) if ((await nodesOfNamespace(ns)).length === 4) return ns;
    return undefined;
  }, 120_000);
  doomed.kill('SIGKILL'); // no cleanup of its own: its nodes stay on the cluster
  await new Promise((r) => doomed.once('exit', r));
  expect(await nodesOfNamespace(namespace)).toHaveLength(4);
  // the survivor's housekeeping (every 2 s) reaps the released run's namespace, then its nodes
  const survivor = await stack.startWorker({ ...FAST_LEASE_ENV, KADAI_WORKER_ID: 'sched-survivor' });
  expect(await until(`the nodes of ${namespace} reaped`, async () => ((await nodesOfNamespace(namespace)).length === 0 ? [] : undefined), 240_000)).toEqual([]);
  const view = await stack.client('student1').waitForResult(submission.id, 400_000);
  expect(`${view.state} ${view.score}/${view.maxScore}`).toBe(`graded ${view.maxScore}/${view.maxScore}`);
  expect((await stack.sql(`SELECT worker_id, lease_token FROM submissions WHERE id = $1`, [submission.id]))[0]).toEqual({ worker_id: 'sched-survivor', lease_token: 2 });
  survivor.kill('SIGTERM');
});

it('the worker\'s identity cannot label, taint or delete the real node or the shared fake nodes', async () => {
  const fixed = (await adminCore.listNode()).items.filter((n) => !n.metadata?.labels?.[ATTEMPT_NODE_LABEL]).map((n) => n.metadata?.name ?? '');
  expect(fixed.length).toBeGreaterThanOrEqual(2);
  const client = new ObjectClient(kc);
  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
  for (const name of fixed) {
    await expect(client.mergePatch(node(name), { metadata: { labels: { vendor: 'dell' } } })).rejects.toThrow(/kadai-worker may only change/);
    await expect(client.mergePatch(node(name), { spec: { taints: [] } })).rejects.toThrow(/kadai-worker may only change/);
    await expect(client.request('DELETE', `/api/v1/nodes/${name}`, { query: { dryRun: 'All' } })).rejects.toThrow(/kadai-worker may only change/);
  }
  // nor create a node that is not an attempt's (no attempt label), nor one named like the real node
  await expect(client.request('POST', '/api/v1/nodes', { query: { dryRun: 'All' }, body: { ...node('kadai-n-rogue'), metadata: { name: 'kadai-n-rogue', annotations: { 'kwok.x-k8s.io/node': 'fake' } } } })).rejects.toThrow(/kadai-worker may only change/);
  await expect(
    client.request('POST', '/api/v1/nodes', { query: { dryRun: 'All' }, body: { ...node('rogue'), metadata: { name: 'rogue', labels: { [ATTEMPT_NODE_LABEL]: 'kadai-a-rogue', [MANAGED_BY.key]: MANAGED_BY.value }, annotations: { 'kwok.x-k8s.io/node': 'fake' } } } }),
  ).rejects.toThrow(/kadai-worker may only change/);
});
