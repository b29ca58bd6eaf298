/** The node, Deployments, Services, DNS, restarts and rolling updates on the real local cluster. */
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { apply, deleteNamespace, eventually, httpGet, images, kubectl, kubectlJson, makeNamespace, run } from './kube';

let ns: string;
beforeAll(async () => {
  ns = await makeNamespace('core');
});
afterAll(async () => {
  await deleteNamespace(ns);
});

test('the node is Ready and runs the Kubernetes version it was built as', async () => {
  const node = await kubectlJson(['get', 'node', 'kadai-control-plane']);
  const ready = node.status.conditions.find((c: any) => c.type === 'Ready');
  expect(ready.status).toBe('True');
  // The real kubelet runs it, not kwok (which manages only the annotated fake nodes).
  expect(node.status.nodeInfo.kubeletVersion).toBe('v1.34.4');
  expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
  expect(node.metadata.annotations['kwok.x-k8s.io/node']).toBeUndefined();
  const v = JSON.parse(await kubectl(['version', '-o', 'json']));
  expect(v.serverVersion.gitVersion).toBe('v1.34.4');
  expect(v.clientVersion.gitVersion).toBe('v1.34.4');
});

test('a 3-replica echo-server answers through its ClusterIP Service and DNS name', async () => {
  await apply(ns, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers: [{name: echo, image: ${images.echo}, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
`);
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/echo', '--timeout=180s']);
  const dep = await kubectlJson(['get', '-n', ns, 'deployment/echo']);
  expect(dep.status.readyReplicas).toBe(3);

  // The cluster DNS, asked the way a Pod asks it (10.96.0.10), gives the Service's ClusterIP ...
  const svc = await kubectlJson(['get', '-n', ns, 'service/echo']);
  const resolver = new Resolver();
  resolver.setServers(['10.96.0.10']);
  const addrs = await eventually('DNS answer', () => resolver.resolve4(`echo.${ns}.svc.cluster.local`), 30000);
  expect(addrs).toEqual([svc.spec.clusterIP]);
  // ... and the ClusterIP spreads requests over the Pods (once kube-proxy has synced its rules).
  await eventually('ClusterIP answering', async () => (await httpGet(`http://${svc.spec.clusterIP}/`)).status === 200, 30000);
  const servedBy = new Set<string>();
  // kube-proxy may add the last endpoints a moment after the rollout is reported done.
  for (const end = Date.now() + 20000; Date.now() < end && servedBy.size < 3; ) {
    const r = await httpGet(`http://${svc.spec.clusterIP}/`);
    expect(r.status).toBe(200);
    servedBy.add(r.body.match(/served by (\S+)/)?.[1] ?? r.body.slice(0, 40));
  }
  expect(servedBy.size).toBeGreaterThanOrEqual(2);

  // From inside a Pod, by short DNS name.
  const out = await kubectl(['run', '-n', ns, 'client', '--rm', '-i', '--restart=Never', `--image=${images.busybox}`,
    '--', 'wget', '-qO-', 'http://echo/']);
  expect(out).toMatch(/served by echo-/);
});

test("a crashing container's restartCount rises", async () => {
  await apply(ns, `
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers: [{name: c, image: ${images.busybox}, command: [sh, -c, "sleep 1; exit 3"]}]
`);
  const count = await eventually('two restarts', async () => {
    const pod = await kubectlJson(['get', '-n', ns, 'pod/crasher']);
    const n = pod.status.containerStatuses?.[0]?.restartCount ?? 0;
    return n >= 2 ? n : undefined;
  }, 120000, 2000);
  expect(count).toBeGreaterThanOrEqual(2);
  const pod = await kubectlJson(['get', '-n', ns, 'pod/crasher']);
  expect(pod.status.containerStatuses[0].lastState.terminated.exitCode).toBe(3);
});

// A Pod sandbox's network namespace is a bind mount in /run/netns. `ip netns add` makes /run/netns a
// mount of itself when it is not one yet, which hides the sandbox mounts made before: their Pods
// then never finish terminating. infra/cluster/up makes that mount before any sandbox exists.
test("`ip netns add` on the host strands no Pod: every sandbox's namespace is mounted inside /run/netns's own mount", async () => {
  await apply(ns, `
apiVersion: v1
kind: Pod
metadata: {name: before-ip-netns}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: ${images.busybox}, command: [sleep, "3600"]}]
`);
  await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/before-ip-netns', '--timeout=120s']);
  const hostNetns = `kadai-coretest-${randomBytes(3).toString('hex')}`;
  expect((await run('ip', ['netns', 'add', hostNetns])).code).toBe(0);
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => line.split(' '));
    // (where /run is shared, as under systemd, /run/netns may be mounted more than once: any of them will do)
    const own = new Set(mounts.filter((m) => m[4] === '/run/netns').map((m) => m[0]));
    expect(own.size).toBeGreaterThan(0);
    const sandboxes = mounts.filter((m) => m[4]!.startsWith('/run/netns/cni-'));
    expect(sandboxes.length).toBeGreaterThan(0);
    expect(sandboxes.filter((m) => !own.has(m[1]!)).map((m) => m[4])).toEqual([]);
    await kubectl(['delete', '-n', ns, 'pod/before-ip-netns', '--wait=false']);
    await eventually('the Pod gone', async () => (await kubectl(['get', '-n', ns, 'pods', '-o', 'name'])).includes('before-ip-netns') ? undefined : true, 90000, 1000);
  } finally {
    await run('ip', ['netns', 'del', hostNetns]);
  }
});

test('a rolling update from nginx:1.21 to nginx:1.22 switches the version served', async () => {
  await apply(ns, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: ${images.nginx121}, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`);
  await kubectl(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=180s']);
  const ip = (await kubectlJson(['get', '-n', ns, 'service/web'])).spec.clusterIP;
  const server = async () => String((await httpGet(`http://${ip}/`)).headers.server ?? '');
  expect(await eventually('nginx 1.21 answering', async () => (await server()).includes('1.21') && server())).toMatch(/nginx\/1\.21/);

  await kubectl(['set', 'image', '-n', ns, 'deployment/web', `nginx=${images.nginx122}`]);
  // While it rolls, both versions answer at some point; afterwards only 1.22 does.
  const seen = new Set<string>();
  const done = kubectl(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=180s']);
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    const s = await server();
    if (s) seen.add(s);
    await new Promise((r) => setTimeout(r, 200));
  }
  await done;
  // Once kube-proxy has dropped the old Pods' endpoints, only 1.22 answers.
  await eventually('only nginx 1.22 answering', async () => {
    for (let i = 0; i < 8; i++) {
      const s = await server();
      seen.add(s);
      if (!/nginx\/1\.22/.test(s)) return false;
    }
    return true;
  }, 30000);
  expect([...seen].some((s) => s.includes('1.22'))).toBe(true);
  const rs = await kubectlJson(['get', '-n', ns, 'replicaset', '-l', 'app=web']);
  expect(rs.items.map((r: any) => r.spec.template.spec.containers[0].image).sort()).toEqual([images.nginx121, images.nginx122]);
  const pods = await kubectlJson(['get', '-n', ns, 'pods', '-l', 'app=web']);
  for (const p of pods.items.filter((p: any) => !p.metadata.deletionTimestamp)) {
    expect(p.spec.containers[0].image).toBe(images.nginx122);
  }
});
