/**
 * kadai's worker identity (kadai-worker.kubeconfig): it may make and remove attempt namespaces
 * and work inside them, and nothing else — RBAC for reads, the kadai-worker-fence admission
 * policy for writes. Every request here is made as that identity, never as cluster-admin.
 */
import { randomBytes } from 'node:crypto';
import { eventually, kubectlAsWorker } from './kube';

const managed = 'app.kubernetes.io/managed-by=kadai';
const fenceMessage = /kadai-worker may only change Namespaces labelled app.kubernetes.io\/managed-by=kadai/;
const name = (p: string) => `${p}-${randomBytes(3).toString('hex')}`;
const namespaceManifest = (ns: string, labels: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });

test('it is kadai-worker, not an admin', async () => {
  const who = await kubectlAsWorker(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  expect(who.stdout).toBe('kadai-worker');
  expect((await kubectlAsWorker(['auth', 'can-i', '*', '*', '--all-namespaces'])).stdout.trim()).toBe('no');
});

test('it cannot create a Namespace without the kadai label', async () => {
  const r = await kubectlAsWorker(['create', '-f', '-'], namespaceManifest(name('kadai-a-unlabelled'), {}));
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(fenceMessage);
});

test('it cannot label or delete namespaces not its own, nor bind, write or read inside them', async () => {
  for (const ns of ['kube-system', 'default']) {
    const label = await kubectlAsWorker(['label', 'namespace', ns, managed]);
    expect(label.stderr).toMatch(fenceMessage);
    // a RoleBinding to its own attempt-admin role would be its way in: refused outside kadai namespaces
    const bind = await kubectlAsWorker(['create', 'rolebinding', 'kadai-worker', '-n', ns, '--clusterrole=kadai:attempt-admin', '--user=kadai-worker']);
    expect(bind.stderr).toMatch(fenceMessage);
    const cm = await kubectlAsWorker(['create', 'configmap', 'x', '-n', ns]);
    expect(cm.stderr).toMatch(/forbidden/);
    const secrets = await kubectlAsWorker(['get', 'secrets', '-n', ns]);
    expect(secrets.stderr).toMatch(/forbidden: User "kadai-worker" cannot list resource "secrets"/);
  }
  // (kube-system and default are undeletable anyway; kube-node-lease is not. Dry run: should the fence fail, nothing goes)
  const del = await kubectlAsWorker(['delete', 'namespace', 'kube-node-lease', '--dry-run=server']);
  expect(del.stderr).toMatch(fenceMessage);
  const clusterRole = await kubectlAsWorker(['create', 'clusterrolebinding', name('kadai-escalate'), '--clusterrole=cluster-admin', '--user=kadai-worker']);
  expect(clusterRole.stderr).toMatch(/forbidden/);
});

test('in a Namespace it labelled as kadai it binds itself and works; it cannot strip the label; it deletes the Namespace', async () => {
  const ns = name('kadai-a-identity');
  expect((await kubectlAsWorker(['create', '-f', '-'], namespaceManifest(ns, { 'app.kubernetes.io/managed-by': 'kadai' }))).code).toBe(0);
  try {
    // no rights inside before it binds itself
    expect((await kubectlAsWorker(['get', 'pods', '-n', ns])).stderr).toMatch(/forbidden/);
    const bind = await kubectlAsWorker(['create', 'rolebinding', 'kadai-worker', '-n', ns, '--clusterrole=kadai:attempt-admin', '--user=kadai-worker']);
    expect(bind.stderr).toBe('');
    // (the authorizer's cache takes a moment to see the new binding)
    await eventually('the binding in effect', async () => (await kubectlAsWorker(['create', 'configmap', 'x', '-n', ns])).code === 0, 10_000, 100);
    expect((await kubectlAsWorker(['auth', 'can-i', 'impersonate', 'serviceaccounts', '-n', ns])).stdout.trim()).toBe('yes');
    expect((await kubectlAsWorker(['auth', 'can-i', 'impersonate', 'serviceaccounts', '-n', 'kube-system'])).stdout.trim()).toBe('no');
    // binding anything more powerful than kadai:attempt-admin is an escalation RBAC refuses
    const admin = await kubectlAsWorker(['create', 'rolebinding', 'admin', '-n', ns, '--clusterrole=cluster-admin', '--user=kadai-worker']);
    expect(admin.stderr).toMatch(/forbidden/);
    const strip = await kubectlAsWorker(['label', 'namespace', ns, 'app.kubernetes.io/managed-by-']);
    expect(strip.stderr).toMatch(fenceMessage);
  } finally {
    const del = await kubectlAsWorker(['delete', 'namespace', ns, '--wait=false']);
    expect(del.code).toBe(0);
  }
});
