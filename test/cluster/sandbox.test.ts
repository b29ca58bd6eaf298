/**
 * The attempt namespace (@kadai/k8s-sandbox) on the real cluster, driven as kadai's worker
 * identity (kadai-worker.kubeconfig), never cluster-admin: set-up and tear-down, the student's
 * objects applied as the attempt's ServiceAccount and refused beyond it, the quota, two attempts
 * isolated from each other, and the reaper after a killed worker.
 */
import { AttemptNamespace, kubeConfigFor, probeCapabilities, reapAttempts, Sandboxes } from '@kadai/k8s-sandbox';
import { StudentWorkError } from '@kadai/errors';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { apply, canConnect, deleteNamespace, echoAppManifest, eventually, httpGet, images, kubeconfig, kubectl, kubectlAsWorker, kubectlBin, makeNamespace, NODE_IP, probePodManifest, run, workerKubeconfig } from './kube';

const kc = kubeConfigFor({ kind: 'kubeconfig', path: workerKubeconfig });
const sandboxes = new Sandboxes(kc);
const made: AttemptNamespace[] = [];
const manifests = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJSON());
const attempt = async (runId: string, leaseMs = 10 * 60_000) => {
  const sandbox = await sandboxes.create({ submissionId: 'sandbox-test', runId, leaseMs });
  made.push(sandbox);
  return sandbox;
};
const worker = async (args: string[]) => {
  const r = await kubectlAsWorker(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const workerJson = async (args: string[]) => JSON.parse(await worker([...args, '-o', 'json']));
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

afterAll(async () => {
  await Promise.all(made.map((s) => s.destroy().catch(() => undefined)));
});

test('an attempt namespace is labelled, guarded and ready, then torn down completely', async () => {
  const sandbox = await attempt('setup-teardown');
  const ns = await workerJson(['get', 'namespace', sandbox.name]);
  expect(ns.metadata.labels).toMatchObject({
    'app.kubernetes.io/managed-by': 'kadai',
    'kadai.submission': 'sandbox-test',
    'kadai.run': 'setup-teardown',
    'pod-security.kubernetes.io/enforce': 'baseline',
    'pod-security.kubernetes.io/warn': 'restricted',
  });
  const guards = await workerJson(['get', 'resourcequota,limitrange,networkpolicy,serviceaccount,role,rolebinding', '-n', sandbox.name, '-l', 'kadai.guard=true']);
  expect(guards.items.map((o: any) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'LimitRange/kadai-limits', 'NetworkPolicy/kadai-isolation', 'ResourceQuota/kadai-quota',
    'Role/kadai-attempt', 'RoleBinding/kadai-attempt', 'RoleBinding/kadai-worker', 'ServiceAccount/kadai-attempt',
  ]);
  // ready means the quota is counted: a Pod is admitted at once and gets the LimitRange's defaults
  await sandbox.apply(manifests(probePodManifest('probe')));
  const pod = await workerJson(['get', 'pod', 'probe', '-n', sandbox.name]);
  expect(pod.spec.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '256Mi', 'ephemeral-storage': '512Mi' });
  expect(sandbox.setupMs).toBeGreaterThan(0);

  await sandbox.destroy({ waitMs: 120_000 });
  expect((await kubectlAsWorker(['get', 'namespace', sandbox.name])).stderr).toMatch(/NotFound/);
});

test("the student's objects are applied as the attempt's ServiceAccount, and refused beyond its reach", async () => {
  const [a, b] = await Promise.all([attempt('apply-a'), attempt('apply-b')]);
  const [deployment] = await a.apply(manifests(echoAppManifest('web')));
  expect(deployment?.metadata?.managedFields?.map((f) => f.manager)).toContain('kadai-submission');

  const refused = async (yaml: string, message: RegExp) => {
    const err = await refusal(a.apply(manifests(yaml)));
    expect(err).toBeInstanceOf(StudentWorkError);
    expect((err as Error).message).toMatch(message);
  };
  const sa = `system:serviceaccount:${a.name}:kadai-attempt`;
  await refused(`{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: take-over},
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin},
    subjects: [{kind: ServiceAccount, name: kadai-attempt, namespace: ${a.name}}]}`, new RegExp(`"${sa}" cannot patch resource "clusterrolebindings"`));
  await refused(`{apiVersion: v1, kind: ConfigMap, metadata: {name: sneak, namespace: ${b.name}}}`, new RegExp(`cannot patch resource "configmaps" .* in the namespace "${b.name}"`));
  await refused(`{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: open-up}, spec: {podSelector: {}, ingress: [{}]}}`, /cannot patch resource "networkpolicies"/);
  await refused(`{apiVersion: v1, kind: ResourceQuota, metadata: {name: kadai-quota}, spec: {hard: {pods: "100000"}}}`, /cannot patch resource "resourcequotas"/);
  await refused(`{apiVersion: v1, kind: Pod, metadata: {name: root}, spec: {hostNetwork: true, containers: [{name: c, image: ${images.busybox}, securityContext: {privileged: true}}]}}`, /violates PodSecurity "baseline:latest"/);
  await refused(`{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}`, /Widget/);
});

test("the course's second namespace (team1): guarded like the attempt's, the student's quota and LimitRange there only, removed with it", async () => {
  const sandbox = await sandboxes.create({ submissionId: 'sandbox-test', runId: 'course-namespace', leaseMs: 10 * 60_000, teachesResources: true, namespaces: ['team1'] });
  made.push(sandbox);
  const team1 = sandbox.courseNamespaces.get('team1')!;
  expect(team1).toBe(`${sandbox.name}-team1`);
  const ns = await workerJson(['get', 'namespace', team1]);
  expect(ns.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kadai', 'kadai.submission': 'sandbox-test', 'kadai.run': 'course-namespace', 'pod-security.kubernetes.io/enforce': 'baseline' });
  expect(ns.metadata.annotations['kadai.lease-until']).toBeDefined();
  const guards = await workerJson(['get', 'resourcequota,limitrange,networkpolicy,role,rolebinding', '-n', team1, '-l', 'kadai.guard=true']);
  expect(guards.items.map((o: any) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['NetworkPolicy/kadai-isolation', 'ResourceQuota/kadai-quota', 'Role/kadai-attempt', 'RoleBinding/kadai-attempt', 'RoleBinding/kadai-worker']);

  // as the attempt: a quota in team1 is the student's to make, one in the attempt's own namespace is not, kadai's cannot be deleted
  await sandbox.apply(manifests(`{apiVersion: v1, kind: ResourceQuota, metadata: {name: team1-quota, namespace: ${team1}}, spec: {hard: {limits.memory: 400Mi, requests.cpu: 800m}}}`));
  await sandbox.apply(manifests(`{apiVersion: v1, kind: LimitRange, metadata: {name: cpu-limit, namespace: ${team1}}, spec: {limits: [{type: Container, max: {cpu: "1"}}]}}`));
  const own = await refusal(sandbox.apply(manifests(`{apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {pods: "1"}}}`)));
  expect((own as Error).message).toMatch(/cannot patch resource "resourcequotas"/);
  const removal = await refusal(sandbox.asAttempt.delete({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'kadai-quota', namespace: team1 } }));
  expect(String((removal as Error)?.message ?? removal)).toMatch(/forbidden|cannot delete/i);
  // the student's quota is enforced there, with the API server's own message
  const overQuota = await refusal(sandbox.apply(manifests(`{apiVersion: v1, kind: Pod, metadata: {name: bare, namespace: ${team1}}, spec: {containers: [{name: c, image: ${images.busybox}}]}}`)));
  expect(overQuota).toBeInstanceOf(StudentWorkError);
  expect((overQuota as Error).message).toMatch(/failed quota: team1-quota: must specify limits.memory/);

  await sandbox.destroy({ waitMs: 120_000 });
  // gone, or going: a loaded machine can take longer than destroy waits to finish a namespace's deletion
  expect(await eventually('team1 deleted', async () => /NotFound/.test((await kubectlAsWorker(['get', 'namespace', team1])).stderr), 120_000)).toBe(true);
});

test("the quota stops a 50,000-replica Deployment's Pods", async () => {
  const sandbox = await attempt('quota');
  // on kwok's fake nodes: admitted Pods cost the machine nothing
  await sandbox.apply(manifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: swarm}
spec:
  replicas: 50000
  selector: {matchLabels: {app: swarm}}
  template:
    metadata: {labels: {app: swarm}}
    spec:
      nodeSelector: {type: kwok}
      tolerations: [{key: dedicated, operator: Exists}]
      containers: [{name: c, image: ${images.busybox}}]
`));
  const failure = await eventually('the ReplicaSet hitting the quota', async () => {
    const rs = (await workerJson(['get', 'replicasets', '-n', sandbox.name, '-l', 'app=swarm'])).items[0];
    return rs?.status?.conditions?.find((c: any) => c.type === 'ReplicaFailure')?.message as string | undefined;
  }, 60_000);
  expect(failure).toMatch(/exceeded quota: kadai-quota/);
  const quota = await workerJson(['get', 'resourcequota', 'kadai-quota', '-n', sandbox.name]);
  const pods = (await workerJson(['get', 'pods', '-n', sandbox.name])).items.length;
  expect(pods).toBeGreaterThan(0);
  expect(pods).toBeLessThanOrEqual(Number(quota.spec.hard.pods));
});

test("the attempt's volumes are bounded: per claim by the LimitRange, in total by the quota", async () => {
  const sandbox = await attempt('storage');
  const claim = (name: string, size: string) => manifests(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: ${size}}}}
`);
  const tooBig = await refusal(sandbox.apply(claim('too-big', '2Gi')));
  expect(tooBig).toBeInstanceOf(StudentWorkError);
  expect((tooBig as Error).message).toMatch(/maximum storage usage per PersistentVolumeClaim is 1Gi/);
  await sandbox.apply(claim('first', '1Gi'));
  await sandbox.apply(claim('second', '1Gi'));
  const overQuota = await refusal(sandbox.apply(claim('third', '1Gi')));
  expect(overQuota).toBeInstanceOf(StudentWorkError);
  expect((overQuota as Error).message).toMatch(/exceeded quota: kadai-quota.*requests\.storage/);
});

describe('two attempts', () => {
  let a: AttemptNamespace;
  let b: AttemptNamespace;
  const exec = (args: string[]) => kubectlAsWorker(args);
  beforeAll(async () => {
    [a, b] = await Promise.all([attempt('isolated-a'), attempt('isolated-b')]);
    for (const s of [a, b]) await s.apply(manifests(`${echoAppManifest('echo')}---${probePodManifest('probe')}`));
    await a.apply(manifests(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: echo}
spec:
  rules:
  - host: ${a.name}.kadai.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]}
`));
    for (const s of [a, b]) {
      await worker(['rollout', 'status', '-n', s.name, 'deployment/echo', '--timeout=180s']);
      await worker(['wait', '-n', s.name, '--for=condition=Ready', 'pod/probe', '--timeout=180s']);
    }
  });

  test("each reaches its own Service by name (DNS) but not the other's Pods", async () => {
    expect(await eventually('own Service', () => canConnect(exec, a.name, 'probe', 'echo', 80), 30_000)).toBe(true);
    expect(await eventually('own Service', () => canConnect(exec, b.name, 'probe', 'echo', 80), 30_000)).toBe(true);
    const echoInA = (await workerJson(['get', 'pods', '-n', a.name, '-l', 'app=echo'])).items[0].status.podIP;
    expect(await canConnect(exec, b.name, 'probe', `echo.${a.name}.svc.cluster.local`, 80)).toBe(false);
    expect(await canConnect(exec, b.name, 'probe', echoInA, 8080)).toBe(false);
    expect(await canConnect(exec, a.name, 'probe', `echo.${b.name}.svc.cluster.local`, 80)).toBe(false);
  });

  test("an attempt's own ingress rules hold: a Pod outside any attempt, free to send anywhere, is refused too", async () => {
    // made as cluster-admin: the worker cannot make a namespace without kadai's label
    const outside = await makeNamespace('sandbox-outside');
    try {
      await apply(outside, `${echoAppManifest('echo')}---${probePodManifest('probe')}`);
      await kubectl(['rollout', 'status', '-n', outside, 'deployment/echo', '--timeout=180s']);
      await kubectl(['wait', '-n', outside, '--for=condition=Ready', 'pod/probe', '--timeout=180s']);
      const asAdmin = (args: string[]) => run(kubectlBin, ['--kubeconfig', kubeconfig, ...args]);
      const echoInA = (await workerJson(['get', 'pods', '-n', a.name, '-l', 'app=echo'])).items[0].status.podIP;
      // the outsider's own Service answers it (no egress policy holds it back) ...
      expect(await eventually('the outsider reaching its own Service', () => canConnect(asAdmin, outside, 'probe', 'echo', 80), 30_000)).toBe(true);
      // ... but the attempt's Pods refuse it, by Service name and by address
      expect(await canConnect(asAdmin, outside, 'probe', `echo.${a.name}.svc.cluster.local`, 80)).toBe(false);
      expect(await canConnect(asAdmin, outside, 'probe', echoInA, 8080)).toBe(false);
    } finally {
      await deleteNamespace(outside);
    }
  });

  test("neither reaches PostgreSQL, Redis, the registry or the API server on the host", async () => {
    for (const [host, port] of [[NODE_IP, 5432], [NODE_IP, 6379], [NODE_IP, 5000], [NODE_IP, 6443], ['kubernetes.default.svc.cluster.local', 443]] as const) {
      expect([host, port, await canConnect(exec, b.name, 'probe', host, port)]).toEqual([host, port, false]);
    }
  });

  test("the ingress controller reaches the attempt's Pods", async () => {
    // the Ingress controller's HTTP address on the node (the worker may not read kube-system's Services)
    const ingressController = `${NODE_IP}:8000`;
    const r = await eventually('the Ingress answering', async () => {
      const res = await httpGet(`http://${ingressController}/`, { Host: `${a.name}.kadai.test` });
      return res.status === 200 && res;
    }, 60_000);
    expect(r.body).toMatch(/served by echo-/);
  });
});

test('the reaper removes the namespace of a worker killed mid-grading, and leaves live attempts alone', async () => {
  const live = await attempt('still-grading');
  const child = await run('npx', ['tsx', join(__dirname, 'fixtures/killed-worker.ts'), workerKubeconfig, '1000', images.busybox], undefined, 120_000);
  expect(child.code).not.toBe(0); // killed, not exited
  const orphan = child.stdout.trim();
  expect(orphan).toMatch(/^kadai-a-[0-9a-f]{12}$/);
  await worker(['get', 'deployment', 'left-behind', '-n', orphan]);

  await new Promise((r) => setTimeout(r, 1500)); // its lease (1 s) runs out
  const reaped = await reapAttempts(kc);
  expect(reaped.failures).toEqual([]);
  expect(reaped.namespaces).toContain(orphan);
  expect(reaped.namespaces).not.toContain(live.name);
  await eventually('the orphan namespace gone', async () => /NotFound/.test((await kubectlAsWorker(['get', 'namespace', orphan])).stderr), 120_000);
  expect((await workerJson(['get', 'namespace', live.name])).status.phase).toBe('Active');
});

test('the capability probes find what the local cluster offers', async () => {
  const found = await probeCapabilities(kc, sandboxes);
  for (const [name, status] of Object.entries(found)) expect([name, status.available, status.reason]).toEqual([name, true, expect.any(String)]);
  expect(found.defaultStorageClass.reason).toMatch(/standard/);
  expect(found.loadBalancer.reason).toMatch(/10\.250\.0\./);
  // the EKS exercises' classes by their AWS names: kadai's stand-ins here
  expect([found.ebsStorageClass.reason, found.efsStorageClass.reason, found.albIngressClass.reason]).toEqual(['StorageClass gp2 (kadai.dev/hostpath)', 'StorageClass efs-sc (kadai.dev/hostpath)', 'IngressClass alb (kadai.dev/ingress)']);
});
