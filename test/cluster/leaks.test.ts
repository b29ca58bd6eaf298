/**
 * What the shared add-ons would let one attempt learn of or reach in another, closed
 * (infra/cluster/lib/config.sh's Corefile, infra/cluster/build/k8s/cmd/kadai-ingress): the cluster DNS
 * answers cluster names only (no forwarding out: no DNS exfiltration), no reverse zones (no listing
 * of other namespaces by PTR), Pod A records only for Pods that exist in the namespace asked; the
 * names the course needs still resolve (Services, a headless Service's per-Pod names as a
 * StatefulSet's); the Ingress controller, outside NetworkPolicy on the host, routes no Ingress to an ExternalName.
 */
import { Resolver } from 'node:dns/promises';
import { apply, deleteNamespace, echoAppManifest, eventually, httpGet, images, kubectl, kubectlJson, makeNamespace, NODE_IP } from './kube';

let own: string;
let other: string;
const dns = new Resolver({ timeout: 3000, tries: 1 });
dns.setServers(['10.96.0.10']); // the cluster DNS, as a Pod asks it
const code = (p: Promise<unknown>) => p.then(() => 'answered', (e: { code?: string }) => e.code ?? String(e));
const dashed = (ip: string) => ip.replaceAll('.', '-');

// a Pod with a stable name under a headless Service: the per-Pod DNS name a StatefulSet's Pods get
const headless = `
apiVersion: v1
kind: Service
metadata: {name: peers}
spec: {clusterIP: None, selector: {app: peer}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: peer}}
spec:
  hostname: web-0
  subdomain: peers
  terminationGracePeriodSeconds: 0
  containers: [{name: echo, image: ${images.echo}, ports: [{containerPort: 8080}]}]
`;

beforeAll(async () => {
  [own, other] = await Promise.all([makeNamespace('leaks-own'), makeNamespace('leaks-other')]);
  await apply(own, headless);
  await apply(other, echoAppManifest('echo'));
  await kubectl(['wait', '-n', own, '--for=condition=Ready', 'pod/web-0', '--timeout=180s']);
  await kubectl(['rollout', 'status', '-n', other, 'deployment/echo', '--timeout=180s']);
}, 240_000);
afterAll(async () => {
  await Promise.all([deleteNamespace(own), deleteNamespace(other)]);
});

test('the cluster DNS answers cluster names, a headless Service\'s per-Pod names and existing Pods\' A records', async () => {
  const ip = (await kubectlJson(['get', 'pod', '-n', own, 'web-0'])).status.podIP as string;
  expect(await eventually('the per-Pod name', () => dns.resolve4(`web-0.peers.${own}.svc.cluster.local`).catch(() => undefined), 30_000)).toEqual([ip]);
  expect(await dns.resolve4(`echo.${other}.svc.cluster.local`)).toHaveLength(1);
  expect(await dns.resolve4(`${dashed(ip)}.${own}.pod.cluster.local`)).toEqual([ip]);
});

test('but not a Pod A record in a namespace the Pod is not in, nor any reverse (PTR) name', async () => {
  const ip = (await kubectlJson(['get', 'pod', '-n', own, 'web-0'])).status.podIP as string;
  expect(await code(dns.resolve4(`${dashed(ip)}.${other}.pod.cluster.local`))).toBe('ENOTFOUND');
  expect(await code(dns.reverse(ip))).toBe('ENOTFOUND');
  expect(await code(dns.reverse('10.96.0.10'))).toBe('ENOTFOUND'); // kube-dns's own Service
});

test('nor any name outside the cluster: nothing is forwarded (no way out by DNS)', async () => {
  // registry.npmjs.org: a name this machine's own resolver answers (the only way out is npm's)
  for (const name of ['registry.npmjs.org', 'example.com', `x${Date.now()}.exfiltration.example.org`]) expect(await code(dns.resolve4(name))).toBe('ENOTFOUND');
});

test('the Ingress controller routes no Ingress to an ExternalName Service (it would proxy past NetworkPolicy to whatever the name is)', async () => {
  const target = (await kubectlJson(['get', 'pods', '-n', other, '-l', 'app=echo'])).items[0].status.podIP as string;
  const host = `${own}.leaks.test`;
  await apply(
    own,
    `
apiVersion: v1
kind: Service
metadata: {name: elsewhere}
spec: {type: ExternalName, externalName: "${target}", ports: [{port: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: elsewhere}
spec:
  rules: [{host: "${host}", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: elsewhere, port: {number: 8080}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: own}
spec:
  rules: [{host: "own.${host}", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: peers, port: {number: 8080}}}}]}}]
`,
  );
  // the control: an Ingress of the same namespace to its own Service is routed
  await eventually('the own Ingress routed', async () => (await httpGet(`http://${NODE_IP}:8000/`, { host: `own.${host}` })).status === 200, 60_000);
  const across = await httpGet(`http://${NODE_IP}:8000/`, { host });
  expect(across.status).toBe(404);
  expect(across.body).not.toContain('echo');
});

test("nor to an address of a hand-written EndpointSlice that is not a Pod of the Ingress's namespace (another namespace's Pod, the node)", async () => {
  const target = (await kubectlJson(['get', 'pods', '-n', other, '-l', 'app=echo'])).items[0].status.podIP as string;
  const ownPod = (await kubectlJson(['get', 'pod', '-n', own, 'web-0'])).status.podIP as string;
  const host = `handmade.${own}.leaks.test`;
  const slice = (name: string, addresses: string[]) => `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}, labels: {kubernetes.io/service-name: handmade}}
addressType: IPv4
endpoints: [${addresses.map((a) => `{addresses: [${a}]}`).join(', ')}]
ports: [{port: 8080}]
`;
  await apply(
    own,
    `
apiVersion: v1
kind: Service
metadata: {name: handmade}
spec: {ports: [{port: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: handmade}
spec:
  rules: [{host: "${host}", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: handmade, port: {number: 8080}}}}]}}]
---${slice('elsewhere', [target, NODE_IP])}`,
  );
  // the control: the same Service with an address of its own namespace's Pod is routed
  await apply(own, slice('own-pod', [ownPod]));
  await eventually('the own Pod routed', async () => (await httpGet(`http://${NODE_IP}:8000/`, { host })).status === 200, 60_000);
  await kubectl(['delete', '-n', own, 'endpointslice', 'own-pod']);
  const across = await eventually('the own Pod gone from the route', async () => {
    const r = await httpGet(`http://${NODE_IP}:8000/`, { host });
    return r.status !== 200 && r;
  }, 30_000);
  expect(across.status).toBe(503);
  expect(across.body).not.toContain('echo');
});
