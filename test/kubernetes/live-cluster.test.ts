import { ApiError, type SubmissionView } from '@kadai/client';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';
import { adminKube, labsFolder } from './cluster';

// E11 / final assignment ④'s opt-in read of the student's own cluster (issue 10), through the real
// api and worker. The local cluster stands in for the student's: as its admin — what a student is
// on their own cluster — the test makes the ServiceAccounts a student would (a reader allowed
// get/list on nodes; a writer bound to `edit`) and their tokens. Its API server's address is
// private, so the worker is told to allow exactly that address:port (KADAI_LIVE_CLUSTER_ALLOW_PRIVATE);
// any other private address stays refused. The grading itself still runs as kadai's fenced identity.
const EKS_LAB = path.join(REPO_ROOT, 'labs/k8s-eks-cluster');
const FINAL_LAB = path.join(REPO_ROOT, 'labs/k8s-final-cloud-cluster');
const admin = adminKube();
const cluster = admin.getCurrentCluster()!;
const server = new URL(cluster.server);
const ca = cluster.caData ?? readFileSync(cluster.caFile!).toString('base64');
const prefix = `kadai-livetest-${process.pid}`;
let stack: Stack;
let labsDir: string;
const tokens: Record<'reader' | 'writer', string> = { reader: '', writer: '' };

beforeAll(async () => {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: prefix } } });
  await rbac.createClusterRole({ body: { metadata: { name: `${prefix}-nodes` }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }] } });
  for (const [who, role] of [['reader', `${prefix}-nodes`], ['writer', 'edit']] as const) {
    await core.createNamespacedServiceAccount({ namespace: prefix, body: { metadata: { name: who } } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: `${prefix}-${who}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: who, namespace: prefix }] } });
    const request = await core.createNamespacedServiceAccountToken({ name: who, namespace: prefix, body: { spec: { audiences: [], expirationSeconds: 1800 } } });
    tokens[who] = request.status?.token ?? '';
  }
  labsDir = labsFolder([EKS_LAB, FINAL_LAB]);
  stack = await startStack('k8s_live', { redisDb: 11, workers: 0, labsDir, workerEnv: { KADAI_LIVE_CLUSTER_ALLOW_PRIVATE: `${server.hostname}:${server.port || 443}` } });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await Promise.allSettled([core.deleteNamespace({ name: prefix }), rbac.deleteClusterRole({ name: `${prefix}-nodes` }), ...['reader', 'writer'].map((who) => rbac.deleteClusterRoleBinding({ name: `${prefix}-${who}` }))]);
});

const solution = (lab: string) => Object.fromEntries(readdirSync(path.join(lab, 'solution')).map((f) => [f, readFileSync(path.join(lab, 'solution', f), 'utf8')]));
const credentials = (token: string, url = server.origin) => `server: ${url}\ncertificateAuthorityData: ${ca}\ntoken: ${token}\n`;
const live = (view: SubmissionView) => view.checks.find((c) => c.checkId === 'live-nodes');

// The worker starts after the first submission is taken, so that submission can be looked at as it
// waits in the queue, before its grading can erase anything.
let worker: Promise<unknown> | undefined;
const working = () => (worker ??= stack.startWorker());

/** `whenTaken` looks at the submission (by id) once the api has taken it; for the file's first submission no worker has started yet. */
async function graded(lab: 'k8s-eks-cluster' | 'k8s-final-cloud-cluster', liveFile: string, whenTaken?: (id: string) => Promise<void>): Promise<SubmissionView> {
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab, files: { ...solution(lab === 'k8s-eks-cluster' ? EKS_LAB : FINAL_LAB), 'live-cluster.yaml': liveFile } });
  await whenTaken?.(accepted.id);
  await working();
  return client.waitForResult(accepted.id, 240_000);
}

/** A page as the demo course's instructor sees it, signed in through the sign-in form. */
async function instructorPage(pathname: string): Promise<string> {
  const signIn = await fetch(`${stack.apiUrl}/sign-in`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: stack.tokens.sensei, next: pathname }) });
  expect(signIn.status).toBe(303);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^\w+=\S+/);
  const page = await fetch(`${stack.apiUrl}${pathname}?lang=en`, { headers: { cookie }, redirect: 'manual' });
  expect(page.status).toBe(200);
  return page.text();
}

const storedFiles = async (id: string, where = '') => (await stack.sql<{ path: string }>(`SELECT path FROM submission_files WHERE submission_id = $1 ${where} ORDER BY path`, [id])).map((r) => r.path);

it("reads the student's cluster with a read-only token: Ready nodes seen, every other check as without it, the token hidden on the page and erased after grading", async () => {
  // the api marks the credentials when it takes them, so they go whatever ends the grading
  let marked: string[] = [];
  let page = '';
  const view = await graded('k8s-final-cloud-cluster', credentials(tokens.reader), async (id) => {
    marked = await storedFiles(id, 'AND secret');
    page = await instructorPage(`/submissions/${id}`);
  });
  expect(marked).toEqual(['live-cluster.yaml']);
  // the instructor's page names the credentials and shows the other files, never the token
  expect(page).toContain('<code>live-cluster.yaml</code> — credentials: not shown (erased when the grading run ends)');
  expect(page).toMatch(/<summary><code>app\.yaml<\/code> \(\d+ B\)<\/summary>/);
  expect(page).not.toContain(tokens.reader);
  expect({ state: view.state, failed: view.checks.filter((c) => c.status !== 'pass').map((c) => `${c.checkId}: ${c.message?.en}`) }).toEqual({ state: 'graded', failed: [] });
  expect(live(view)?.message?.en).toBe(`The cluster at ${server.host} is as expected (read-only).`);
  expect(live(view)?.evidence).toMatch(/✓ Ready nodes: expected at least 1, actual [1-9]\d*/);
  expect(live(view)?.evidence).not.toContain(tokens.reader);
  expect(await storedFiles(view.id)).toEqual(['app.yaml', 'cluster.yaml']);
});

it("fails the course's 2 nodes of m5.large against a cluster that is not that, saying what it found", async () => {
  const view = await graded('k8s-eks-cluster', credentials(tokens.reader));
  expect(view.state).toBe('graded');
  expect(live(view)).toMatchObject({ status: 'fail', message: { en: `The cluster at ${server.host} is not as expected (read-only).` } });
  expect(live(view)?.evidence).toMatch(/✗ (Ready nodes: expected 2, actual \d+|\S+ node\.kubernetes\.io\/instance-type: expected m5\.large, actual )/);
  expect(await storedFiles(view.id)).not.toContain('live-cluster.yaml');
});

it('uses no token that can write: one bound to edit cluster-wide fails before anything is read', async () => {
  const view = await graded('k8s-eks-cluster', credentials(tokens.writer));
  expect(live(view)?.status).toBe('fail');
  expect(live(view)?.message?.en).toMatch(/^This token can write \(create pods\b.*\); kadai uses read-only tokens only/);
});

it('connects to no private address the operator did not allow (here the API server by its Service address)', async () => {
  const view = await graded('k8s-eks-cluster', credentials(tokens.reader, 'https://10.96.0.1:443'));
  expect(live(view)?.status).toBe('fail');
  expect(live(view)?.message?.en).toBe('kadai does not connect to 10.96.0.1: 10.96.0.1 is not a public address (10.96.0.1): kadai reads only clusters reachable on the internet');
});

it("fails, as the student's, a public address that does not answer (TEST-NET-3: nothing is there)", async () => {
  const view = await graded('k8s-eks-cluster', credentials(tokens.reader, 'https://203.0.113.7:6443'));
  expect(view.state).toBe('graded');
  expect(live(view)?.status).toBe('fail');
  expect(live(view)?.message?.en).toMatch(/^Could not reach 203\.0\.113\.7:6443: /);
});

it('refuses a kubeconfig whose user runs a program (exec) at submission, naming file, line and field; nothing stored', async () => {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: eks, cluster: {server: "https://example.eks.amazonaws.com", certificate-authority-data: "' + ca + '"}}]',
    'contexts: [{name: eks, context: {cluster: eks, user: student}}]',
    'current-context: eks',
    'users:',
    '  - name: student',
    '    user:',
    '      exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token, --cluster-name, c]}',
    '',
  ].join('\n');
  const before = await stack.sql<{ n: string }>('SELECT count(*) AS n FROM submissions');
  const error = await stack.client('student1').submitJson({ lab: 'k8s-eks-cluster', files: { ...solution(EKS_LAB), 'live-cluster.yaml': kubeconfig } }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  const problem = (error as ApiError).problem;
  expect(problem.status).toBe(422);
  expect((problem.errors ?? []).map((e) => e.text)).toEqual([expect.stringMatching(/^live-cluster\.yaml:9:\d+: a kubeconfig user with exec would run a program on kadai's worker.* \(users\[0\]\.user\.exec\)$/)]);
  expect(await stack.sql('SELECT count(*) AS n FROM submissions')).toEqual(before);
});
