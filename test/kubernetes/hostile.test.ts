import { ApiError, type SubmissionView } from '@kadai/client';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ObjectClient, Sandboxes } from '@kadai/k8s-sandbox';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';
import { adminKube, leftoversAfter, labsFolder, podsOf, WORKER_KUBECONFIG, workerKube } from './cluster';
import { REJECTED } from './hostile-cases';

// Hostile Kubernetes submissions through the real api and worker on the local cluster (issue 9):
// each is REJECTED at submission (422/413 naming file, line:col, document, object and field; nothing
// stored, no attempt used) or CONTAINED (graded, bounded, and nothing of it left on the cluster).
// The worker grades as kadai's fenced identity, never as cluster-admin.
jest.setTimeout(300_000);

const HOSTILE_LAB = path.join(__dirname, 'fixtures/hostile-labs/k8s-hostile');
/** A course lab (EX-3.3): a Deployment applied, edited, then scaled in by a kubectl command. */
const SCALING_LAB = path.join(REPO_ROOT, 'labs/k8s-scaling');
const kc = workerKube();
const admin = adminKube();
let stack: Stack;
let labsDir: string;

beforeAll(async () => {
  labsDir = labsFolder([HOSTILE_LAB, SCALING_LAB]);
  stack = await startStack('k8s_hostile', { redisDb: 15, workers: 1, labsDir, workerEnv: { KADAI_KUBECONFIG: WORKER_KUBECONFIG, KADAI_CONCURRENCY_KUBERNETES: '2' } });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
});

const submissions = async () => Number((await stack.sql<{ n: string }>('SELECT count(*) AS n FROM submissions'))[0]?.n);
const handIn = (manifest: string, who: 'student1' | 'student2' = 'student1') => stack.client(who).submitJson({ lab: 'k8s-hostile', files: { 'manifest.yaml': manifest } });
const statuses = (view: SubmissionView) => Object.fromEntries(view.checks.map((c) => [c.checkId, c.status]));

/**
 * Grades one submission through the api and worker; resolves with its view and how long submit →
 * result took. `whileGrading` observes the cluster meanwhile (given the submission's id).
 */
async function graded<T = undefined>(lab: string, files: Record<string, string>, who: 'student1' | 'student2' = 'student1', whileGrading?: (id: string) => Promise<T>, waitMs = 280_000): Promise<{ view: SubmissionView; ms: number; seen?: T }> {
  const started = Date.now();
  const client = stack.client(who);
  const accepted = await client.submitJson({ lab, files });
  const [view, seen] = await Promise.all([client.waitForResult(accepted.id, waitMs), whileGrading?.(accepted.id)]);
  return { view, ms: Date.now() - started, ...(seen === undefined ? {} : { seen }) };
}

/** The CPU limit of the first Pod seen in the submission's attempt namespace (polled for up to 60 s). */
async function cpuLimitSeen(id: string): Promise<string | undefined> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    const pod = (await podsOf(kc, id)).find((p) => p.metadata?.labels?.app === 'hostile');
    if (pod) return String(pod.spec?.containers[0]?.resources?.limits?.cpu);
  }
  return undefined;
}

/** The solution of a test lab (or a wrong variant's changed files over it). */
function labFiles(labDir: string, variant?: string): Record<string, string> {
  const read = (dir: string) => Object.fromEntries(execFileSync('find', [dir, '-type', 'f', '!', '-name', 'expect.yaml', '-printf', '%P\n'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  return { ...read(path.join(labDir, 'solution')), ...(variant ? read(path.join(labDir, 'wrong', variant)) : {}) };
}

/** The real node's Ready condition (the kwok nodes, labelled type=kwok, only pretend to run Pods). */
const nodeReady = async () => {
  const node = await admin.makeApiClient(CoreV1Api).listNode();
  return node.items.filter((n) => !n.metadata?.labels?.type).map((n) => `${n.metadata?.name} ${n.status?.conditions?.find((c) => c.type === 'Ready')?.status}`);
};

describe('rejected at submission: nothing stored, nothing applied, no attempt used', () => {
  it.each(REJECTED.map((c) => [c.name, c] as const))('%s', async (_name, hostile) => {
    const before = await submissions();
    const error = await handIn(hostile.manifest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const problem = (error as ApiError).problem;
    expect(problem.status).toBe(hostile.status);
    const texts = (problem.errors ?? []).map((e) => e.text);
    for (const issue of hostile.issues) expect(texts).toContainEqual(expect.stringMatching(issue));
    if (hostile.detail) expect(problem.detail).toMatch(hostile.detail);
    expect(await submissions()).toBe(before);
  });
});

/** A Pod of the hostile lab (label app=hostile) running `script`, with no resources of its own: the attempt's LimitRange gives it its bounds. */
const podRunning = (name: string, script: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels: {app: hostile}\nspec:\n  restartPolicy: Never\n  containers:\n    - name: c\n      image: busybox:1.36\n      command: [sh, -c, ${JSON.stringify(script)}]\n`;

describe('contained: graded, bounded, nothing left on the cluster', () => {
  afterEach(async () => {
    // the node is still usable after each case: a benign attempt is graded with full marks
    expect(await nodeReady()).toEqual(['kadai-control-plane True']);
  });

  it('a fork bomb in a Pod stops at the per-Pod process limit; the attempt ends in its time and leaves nothing', async () => {
    // refuse to run a real fork bomb on a node that would let it take the machine's whole pid table
    // (the client hands back the kubelet's JSON answer parsed, though its type says string)
    const configz = (await admin.makeApiClient(CoreV1Api).connectGetNodeProxyWithPath({ name: 'kadai-control-plane', path: 'configz' })) as unknown as { kubeletconfig: { podPidsLimit?: number } };
    expect({ podPidsLimit: configz.kubeletconfig.podPidsLimit }).toEqual({ podPidsLimit: expect.any(Number) });
    expect(configz.kubeletconfig.podPidsLimit).toBeGreaterThan(0);
    const { view, ms } = await graded('k8s-hostile', { 'manifest.yaml': podRunning('bomb', 'f(){ f | f & }; f; sleep 600') });
    expect(view.state).toBe('graded');
    expect(statuses(view)).toMatchObject({ applied: 'pass', never: 'fail' });
    expect(ms).toBeLessThan(180_000);
    expect(await leftoversAfter(kc, view.id)).toEqual([]);
    const after = await graded('k8s-hostile', labFiles(HOSTILE_LAB));
    expect(after.view).toMatchObject({ state: 'graded', score: after.view.maxScore });
  });

  it('a CPU burner runs at its LimitRange CPU limit and ends with the attempt', async () => {
    const { view, ms, seen } = await graded('k8s-hostile', { 'manifest.yaml': podRunning('burn', 'while :; do :; done') }, 'student1', cpuLimitSeen);
    expect(view.state).toBe('graded');
    // the Pod asked for nothing: the attempt's LimitRange gave it a CPU limit (k8s-sandbox's default)
    expect(seen).toMatch(/^\d+m?$/);
    // the burner ran (Ready), and the attempt ended by its checks' budgets, not the burner
    expect(statuses(view)).toEqual({ applied: 'pass', running: 'pass', never: 'fail' });
    expect(ms).toBeLessThan(180_000);
    expect(await leftoversAfter(kc, view.id)).toEqual([]);
    const after = await graded('k8s-hostile', labFiles(HOSTILE_LAB));
    expect(after.view).toMatchObject({ state: 'graded', score: after.view.maxScore });
  });

  it('a log flood: the evidence shows a capped tail of it', async () => {
    const line = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz';
    // 100 MB at once, then a line a second: the kubelet rotates a log past 10 MiB, and a log read
    // right after the rotation (it happens within 10 s of the flood, earlier or later under load)
    // found the new file empty — CI once got no log at all in the evidence
    const { view } = await graded('k8s-hostile', { 'manifest.yaml': podRunning('flood', `yes ${line} | head -c 104857600; while :; do echo ${line}; sleep 1; done`) });
    expect(view.state).toBe('graded');
    const never = view.checks.find((c) => c.checkId === 'never');
    expect(never?.status).toBe('fail');
    expect(never?.evidence).toContain(line);
    expect(Buffer.byteLength(never?.evidence ?? '')).toBeLessThanOrEqual(16 * 1024);
    expect(await leftoversAfter(kc, view.id)).toEqual([]);
  });

  it("a claim naming another attempt's volume copy never binds it; the other attempt keeps its volume", async () => {
    // the other attempt: a namespace of kadai's with a claim bound to its own pre-bound volume copy (as EX-5.2 makes them)
    const victim = await new Sandboxes(kc).create({ submissionId: 'hostile-victim', runId: '1', leaseMs: 300_000 });
    const worker = new ObjectClient(kc);
    const volume = `victim-pv-${victim.name.slice('kadai-a-'.length)}`;
    const claimed = { namespace: victim.name, name: 'data' };
    try {
      // created (POST) as the grader makes its copies: kadai's worker identity may create volumes, not patch them (server-side apply is a PATCH)
      await worker.request('POST', '/api/v1/persistentvolumes', {
        body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volume, labels: { 'app.kubernetes.io/managed-by': 'kadai' } }, spec: { storageClassName: '', capacity: { storage: '64Mi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/var/lib/kadai/attempt-volumes/${victim.name}/data` }, claimRef: claimed } },
      });
      await victim.apply([{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { storageClassName: '', volumeName: volume, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } } as never]);
      const phase = async () => (await worker.read<{ apiVersion: string; kind: string; status?: { phase?: string }; spec?: { claimRef?: { namespace?: string; name?: string } } }>({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volume } }));
      for (const deadline = Date.now() + 60_000; (await phase()).status?.phase !== 'Bound'; await new Promise((r) => setTimeout(r, 500))) if (Date.now() > deadline) throw new Error('the victim volume never bound');
      const steal = `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: steal\nspec:\n  storageClassName: ""\n  volumeName: ${volume}\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 64Mi}}\n---\n${podRunning('thief', 'cat /data/* ; sleep 600').replace('      command:', '      volumeMounts: [{name: v, mountPath: /data}]\n      command:')}  volumes: [{name: v, persistentVolumeClaim: {claimName: steal}}]\n`;
      const { view } = await graded('k8s-hostile', { 'manifest.yaml': steal });
      expect(view.state).toBe('graded');
      // applied as the student wrote it, but the claim stays Pending: the volume is pre-bound to the other attempt's claim
      expect(statuses(view)).toMatchObject({ applied: 'pass', running: 'fail' });
      expect(await phase()).toMatchObject({ status: { phase: 'Bound' }, spec: { claimRef: claimed } });
      expect(await leftoversAfter(kc, view.id)).toEqual([]);
    } finally {
      await victim.destroy();
      await worker.delete({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volume } }).catch(() => undefined);
    }
  });

  it('two attempts declaring the same fixed nodePort at once are both graded, neither refused for the other', async () => {
    const manifest = `${podRunning('web', 'sleep 600')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector: {app: hostile}\n  ports: [{port: 80, nodePort: 30080}]\n`;
    const [a, b] = await Promise.all([graded('k8s-hostile', { 'manifest.yaml': manifest }, 'student1'), graded('k8s-hostile', { 'manifest.yaml': manifest }, 'student2')]);
    for (const { view } of [a, b]) {
      expect([view.state, view.rejection]).toEqual(['graded', null]);
      expect(statuses(view)).toMatchObject({ applied: 'pass', running: 'pass' });
      expect(await leftoversAfter(kc, view.id)).toEqual([]);
    }
  });
});

describe('side by side', () => {
  it('attempts of the same lab graded at once agree with their one-at-a-time verdicts', async () => {
    const solution = labFiles(SCALING_LAB);
    const wrong = labFiles(SCALING_LAB, 'scale-to-two');
    const alone = [await graded('k8s-scaling', solution), await graded('k8s-scaling', wrong)];
    // the worker grades two at a time: the last two wait for a slot, then are graded (a rehearsal's
    // gradings took 130-250 s each beside the labs' self-tests, one waited 305 s in all)
    const together = await Promise.all(
      ([[solution, 'student1'], [wrong, 'student2'], [solution, 'student2'], [wrong, 'student1']] as const).map(([files, who]) => graded('k8s-scaling', files, who, undefined, 600_000)),
    );
    const verdict = ({ view }: { view: SubmissionView }) => ({ state: view.state, score: view.score, checks: statuses(view) });
    expect(alone[0]?.view.score).toBe(alone[0]?.view.maxScore);
    expect(alone[1]?.view.score).toBeLessThan(alone[1]?.view.maxScore ?? 0);
    expect(together.map(verdict)).toEqual([alone[0], alone[1], alone[0], alone[1]].map((r) => verdict(r!)));
    for (const { view } of [...alone, ...together]) expect(await leftoversAfter(kc, view.id)).toEqual([]);
    // six gradings, two of them one after the other: 276 s on a quiet machine, ~580 s in a CI
    // rehearsal beside the labs' self-tests (infra/test runs both halves of the Kubernetes suite at once)
  }, 1_200_000);
});
