import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { kubectlAllowList, labPolicy, permissivePolicy, type LabPolicy } from './policy';
import { vetManifests, vetManifestSources } from './vet';

const NS = 'kadai-a-0123456789ab';
const COURSE = join(__dirname, '..', 'fixtures', 'course');

const files = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

function rejection(entries: Record<string, string>, policy: LabPolicy = permissivePolicy): RejectedInputError {
  try {
    vetManifests(files(entries), policy, NS);
  } catch (error) {
    if (error instanceof RejectedInputError) return error;
    throw error;
  }
  throw new Error('the manifests were accepted');
}

const issuesOf = (yaml: string, policy?: LabPolicy): InputIssue[] => rejection({ 'app.yaml': yaml }, policy).issues;

const pod = (spec: string, meta = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web${meta}
spec:
${spec}`;
const container = (extra = '', image = 'nginx:1.25') => `  containers:
    - name: web
      image: ${image}
${extra}`;

describe('the course manifests (chapters 2–5)', () => {
  const fixtures = readdirSync(COURSE).filter((f) => f.endsWith('.yaml') && f !== 'ch5-pv.yaml');

  it.each(fixtures)('%s passes vetting with the permissive policy', (name) => {
    const objects = vetManifests(files({ [name]: readFileSync(join(COURSE, name), 'utf8') }), permissivePolicy, NS);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) expect(object.metadata?.namespace).toBe(NS);
  });

  it('EX-5.2 pv.yaml: only its PersistentVolume is refused (cluster-scoped; the lab must provide it)', () => {
    const { issues } = rejection({ 'pv.yaml': readFileSync(join(COURSE, 'ch5-pv.yaml'), 'utf8') });
    expect(issues).toEqual([
      expect.objectContaining({ file: 'pv.yaml', line: 2, column: 1, field: 'kind', message: expect.stringMatching(/^document 1, PersistentVolume\/host-pv: PersistentVolume is cluster-scoped/) }),
    ]);
  });

  it('keeps a fixed NodePort as data (the grader makes it unique per attempt)', () => {
    const [, service] = vetManifests(files({ 'nodeport.yaml': readFileSync(join(COURSE, 'ch4-nodeport.yaml'), 'utf8') }), permissivePolicy, NS);
    expect(service).toMatchObject({ kind: 'Service', spec: { ports: [{ nodePort: 30080 }] } });
  });
});

describe('hostile manifests', () => {
  it('refuses a ClusterRoleBinding to cluster-admin, naming file, document, kind/name, field and line:col', () => {
    const error = rejection({
      'ok.yaml': pod(container()),
      'rbac.yaml': `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: x}]\n`,
    });
    expect(error.status).toBe(422);
    expect(error.issues).toEqual([{ file: 'rbac.yaml', line: 7, column: 1, field: 'kind', message: 'document 2, ClusterRoleBinding/pwn: RBAC objects are not accepted: the attempt runs with the rights kadai gives it' }]);
    expect(error.message).toMatch(/rbac\.yaml:7:1/);
  });

  it.each([
    ['Namespace', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: mine}\n', /cluster-scoped/],
    ['PersistentVolume', 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\nspec: {capacity: {storage: 1Gi}, hostPath: {path: /}}\n', /cluster-scoped/],
    ['Role', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n', /RBAC/],
    ['ServiceAccount', 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n', /ServiceAccounts/],
    ['webhook', 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: w}\n', /webhooks/],
    ['CRD', 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\n', /CustomResourceDefinitions/],
    ['a kind outside the allow-list', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n', /NetworkPolicy is not used in this lab/],
  ])('refuses %s', (_, yaml, message) => {
    expect(issuesOf(yaml)).toEqual([expect.objectContaining({ field: 'kind', line: 2, message: expect.stringMatching(message) })]);
  });

  it('refuses a ServiceAccount token Secret', () => {
    expect(issuesOf('apiVersion: v1\nkind: Secret\nmetadata: {name: t, annotations: {kubernetes.io/service-account.name: default}}\ntype: kubernetes.io/service-account-token\n')).toEqual([
      expect.objectContaining({ field: 'type', line: 4, column: 1, message: expect.stringMatching(/token/) }),
    ]);
  });

  it("accepts a lab's allowed hostPath PersistentVolume (no namespace) and refuses a second, a bigger one or a path outside", () => {
    const allowing = { ...permissivePolicy, persistentVolumes: { max: 1, capacity: '1Gi', hostPathUnder: ['/data/'] } };
    const pv = (name: string, path: string, size: string) => `apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: ${name}}\nspec:\n  capacity: {storage: ${size}}\n  accessModes: [ReadWriteOnce]\n  hostPath: {path: ${path}}\n`;
    const [accepted] = vetManifestSources(new Map([['pv.yaml', Buffer.from(pv('host-pv', '/data/pv0001/', '1Gi'))]]), allowing, 'kadai-a-1');
    expect(accepted?.object.metadata).toEqual({ name: 'host-pv' });
    expect(rejection({ 'pv.yaml': `${pv('a', '/data/x', '1Gi')}---\n${pv('b', '/etc/../data/y', '2Gi')}` }, allowing).issues.map((i) => `${i.line} ${i.field}`)).toEqual(['15 spec.hostPath.path', '13 spec.capacity.storage', '10 kind']);
    expect(issuesOf(pv('a', '/data/x', '1Gi'))).toEqual([expect.objectContaining({ field: 'kind', message: expect.stringMatching(/cluster-scoped/) })]);
  });

  it('refuses Secret data that is not base64 (kubectl does; the API server would answer 500)', () => {
    expect(issuesOf('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  user: YWRtaW4=\n  password: pass word!\n')).toEqual([
      expect.objectContaining({ field: 'data.password', line: 6, message: expect.stringMatching(/must be base64/) }),
    ]);
  });

  it('refuses an object in kube-system and accepts default or none, both moved to the attempt namespace', () => {
    expect(issuesOf(pod(container(), '\n  namespace: kube-system'))).toEqual([expect.objectContaining({ field: 'metadata.namespace', line: 5, column: 3, message: expect.stringMatching(/namespace "kube-system" is not allowed/) })]);
    const objects = vetManifests(files({ 'a.yaml': pod(container(), '\n  namespace: default'), 'b.yaml': pod(container()).replace('name: web', 'name: b') }), permissivePolicy, NS);
    expect(objects.map((o) => o.metadata?.namespace)).toEqual([NS, NS]);
  });

  it('refuses privileged + hostPath / with one issue per field, at their lines', () => {
    const yaml = pod(`${container('      securityContext:\n        privileged: true\n        capabilities:\n          add: [SYS_ADMIN]\n      volumeMounts: [{name: root, mountPath: /host}]')}
  volumes:
    - name: root
      hostPath:
        path: /`);
    expect(issuesOf(yaml).map((i) => [i.field, i.line, i.column])).toEqual([
      ['spec.volumes[0].hostPath', 16, 7],
      ['spec.containers[0].securityContext.privileged', 10, 9],
      ['spec.containers[0].securityContext.capabilities.add', 12, 11],
    ]);
  });

  it('refuses hostNetwork, hostPID, hostIPC and hostPort', () => {
    const yaml = pod(`  hostNetwork: true\n  hostPID: yes\n  hostIPC: on\n${container('      ports: [{containerPort: 80, hostPort: 80}]')}`);
    expect(issuesOf(yaml).map((i) => i.field)).toEqual(['spec.hostNetwork', 'spec.hostPID', 'spec.hostIPC', 'spec.containers[0].ports[0].hostPort']);
  });

  it("refuses Pods running as another ServiceAccount than default (the attempt's own account above all)", () => {
    expect(issuesOf(pod(`  serviceAccountName: kadai-attempt\n${container('')}`)).map((i) => `${i.field} ${i.message}`)).toEqual([
      expect.stringMatching(/^spec\.serviceAccountName document 1, Pod\/web: serviceAccountName "kadai-attempt" is not allowed: Pods run as the namespace's default ServiceAccount$/),
    ]);
    expect(issuesOf(pod(`  serviceAccount: other\n${container('')}`)).map((i) => i.field)).toEqual(['spec.serviceAccount']);
    expect(vetManifests(files({ 'app.yaml': pod(`  serviceAccountName: default\n${container('')}`) }), permissivePolicy, NS)).toHaveLength(1);
  });

  it('refuses 50,000 replicas and a string "5" (a schema error the dry run would report)', () => {
    const deployment = (replicas: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: nginx}]\n`;
    expect(issuesOf(deployment('50000'))).toEqual([expect.objectContaining({ field: 'spec.replicas', line: 5, column: 3, message: expect.stringMatching(/50000 replicas are more than this lab allows \(10\)/) })]);
    expect(issuesOf(deployment('"5"'))).toEqual([expect.objectContaining({ field: 'spec.replicas', message: expect.stringMatching(/whole number, not "5"/) })]);
  });

  it('refuses requests and storage beyond the attempt quota, at the object that crosses it', () => {
    const big = pod(container('      resources: {requests: {cpu: "3", memory: 1Gi}}'));
    const issues = rejection({ 'a.yaml': big, 'b.yaml': big.replace('name: web', 'name: web2') }).issues;
    expect(issues).toEqual([expect.objectContaining({ file: 'b.yaml', field: 'spec.containers[0].resources.requests.cpu', message: expect.stringMatching(/past the attempt's quota \(4\)/) })]);
    const claim = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 100Gi\n';
    expect(issuesOf(claim)).toEqual([expect.objectContaining({ field: 'spec.resources.requests.storage', line: 8, column: 7, message: expect.stringMatching(/storage .* quota \(5Gi\)/) })]);
  });

  it('refuses a 50 MiB ConfigMap by its size, before parsing it', () => {
    const huge = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "${'x'.repeat(50 * 1024 * 1024)}"\n`;
    const started = process.hrtime.bigint();
    const error = rejection({ 'big.yaml': huge });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    expect(error.status).toBe(413);
    expect(error.issues).toEqual([
      { file: 'big.yaml', message: expect.stringMatching(/^the file is 52428870 bytes; at most 65536 bytes/) },
      { message: expect.stringMatching(/at most 262144 bytes are accepted/) },
    ]);
  });

  it('refuses 5,000 objects by counting documents before parsing', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}`).join('\n---\n');
    const policy = { ...permissivePolicy, limits: { ...permissivePolicy.limits, maxFileBytes: 1 << 30, maxTotalBytes: 1 << 30 } };
    const error = rejection({ 'many.yaml': many }, policy);
    expect(error.status).toBe(413);
    expect(error.issues).toEqual([{ file: 'many.yaml', message: 'the file holds 5000 YAML documents; at most 100 are accepted' }]);
  });

  it('refuses 5,000 objects wrapped in one List', () => {
    const items = Array.from({ length: 5000 }, (_, i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}}`).join('\n');
    const policy = { ...permissivePolicy, limits: { ...permissivePolicy.limits, maxFileBytes: 1 << 30, maxTotalBytes: 1 << 30 } };
    const error = rejection({ 'list.yaml': `apiVersion: v1\nkind: List\nitems:\n${items}\n` }, policy);
    expect(error.status).toBe(413);
    expect(error.issues.at(-1)?.message).toMatch(/more than 100 objects/);
  });

  it('refuses a YAML alias bomb without expanding it', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const issues = issuesOf(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${bomb.map((l) => `  ${l}`).join('\n')}\n`);
    expect(issues).toEqual([expect.objectContaining({ file: 'app.yaml', line: 1, message: expect.stringMatching(/alias bomb/) })]);
  });

  it('names an alias of an anchor in another document as such, not as an alias bomb', () => {
    const issues = issuesOf(`x-base: &base\n  privileged: true\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: nginx\n      securityContext:\n        <<: *base\n`);
    const second = issues.find((issue) => issue.message.startsWith('document 2:'));
    expect(second?.message).toMatch(/^document 2: Merge sources must be maps or map aliases \(anchors are defined per YAML document/);
    expect(issues.map((issue) => issue.message).join('\n')).not.toMatch(/alias bomb/);
  });

  it('refuses snippet annotations and a wildcard claiming every host; keeps host-less rules, `*.` hosts and a defaultBackend (made unique per attempt by the grader)', () => {
    const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: all
  annotations:
    nginx.ingress.kubernetes.io/server-snippet: "location / { proxy_pass http://kubernetes.default; }"
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
    - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
    - host: "*.example.com"
    - host: "*"
    - host: "a.*.example.com"
`;
    expect(issuesOf(ingress).map((i) => `${i.field}@${i.line}:${i.column}`)).toEqual(['metadata.annotations.nginx.ingress.kubernetes.io/server-snippet@6:5', 'spec.rules[2].host@12:7', 'spec.rules[3].host@13:7']);
  });

  it('refuses an ExternalName at the API server, externalIPs and Endpoints at link-local addresses', () => {
    const service = (spec: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n${spec}\n`;
    for (const name of ['kubernetes.default.svc.cluster.local', 'kubernetes', '10.96.0.1', '169.254.169.254', 'localhost', 'metadata.google.internal']) {
      expect(issuesOf(service(`  type: ExternalName\n  externalName: ${name}`))).toEqual([expect.objectContaining({ field: 'spec.externalName', line: 6, message: expect.stringMatching(/points inside the cluster/) })]);
    }
    expect(issuesOf(service('  selector: {a: b}\n  ports: [{port: 80}]\n  externalIPs: [8.8.8.8]'))).toEqual([expect.objectContaining({ field: 'spec.externalIPs' })]);
    const policy = { ...permissivePolicy, allowedKinds: [...permissivePolicy.allowedKinds, 'Endpoints', 'EndpointSlice'] };
    expect(issuesOf('apiVersion: v1\nkind: Endpoints\nmetadata: {name: s}\nsubsets:\n  - addresses: [{ip: 169.254.169.254}, {ip: 93.184.216.34}]\n    ports: [{port: 80}]\n', policy)).toEqual([
      expect.objectContaining({ field: 'subsets[0].addresses[0].ip', line: 5, column: 18 }),
    ]);
    expect(issuesOf('apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv4\nendpoints:\n  - addresses: ["127.0.0.1"]\n', policy)).toEqual([
      expect.objectContaining({ field: 'endpoints[0].addresses[0]' }),
    ]);
  });

  it('refuses probes and hooks with a foreign host', () => {
    const yaml = pod(container('      livenessProbe:\n        httpGet: {host: 169.254.169.254, path: /latest/meta-data/, port: 80}\n      lifecycle:\n        preStop: {tcpSocket: {host: 10.0.0.1, port: 22}}'));
    expect(issuesOf(yaml).map((i) => `${i.field}@${i.line}:${i.column}`)).toEqual([
      'spec.containers[0].livenessProbe.httpGet.host@10:19',
      'spec.containers[0].lifecycle.preStop.tcpSocket.host@12:31',
    ]);
  });

  it('refuses images outside the lab allow-list, init containers included', () => {
    const yaml = pod(`  initContainers:\n    - {name: i, image: "evil.example.com/miner:1"}\n${container('', 'nginx@sha256:abc')}`);
    const policy = { ...permissivePolicy, allowedImages: ['nginx:1.*'] };
    expect(issuesOf(yaml, policy).map((i) => i.field)).toEqual(['spec.initContainers[0].image', 'spec.containers[0].image']);
  });
});

describe('YAML read as kubectl reads it', () => {
  it('expands merge keys and reports a smuggled field where the anchor defines it', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata: {name: smuggler}
x-base: &sec
  privileged: true
spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        <<: *sec
        runAsUser: 1000
`;
    const policy = { ...permissivePolicy };
    expect(issuesOf(yaml, policy)).toEqual([expect.objectContaining({ field: 'spec.containers[0].securityContext.privileged', line: 5, column: 3, message: expect.stringMatching(/privileged containers/) })]);
  });

  it('follows a sequence of merge keys into the Pod spec', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  <<: [{hostNetwork: true}]\n  containers: [{name: c, image: nginx}]\n`;
    expect(issuesOf(yaml)).toEqual([expect.objectContaining({ field: 'spec.hostNetwork', line: 5, column: 9 })]);
  });

  it('refuses duplicate keys, naming the line', () => {
    const yaml = pod(`${container('      securityContext: {privileged: false}\n      securityContext: {privileged: true}')}`);
    expect(issuesOf(yaml)).toEqual([expect.objectContaining({ line: 10, message: expect.stringMatching(/unique/) })]);
  });

  it('reads on / yes as booleans (YAML 1.1), as go-yaml does', () => {
    expect(issuesOf(pod(`  hostNetwork: on\n${container()}`))).toEqual([expect.objectContaining({ field: 'spec.hostNetwork' })]);
    expect(issuesOf(pod(container('      securityContext: {privileged: Yes}')))).toEqual([expect.objectContaining({ field: 'spec.containers[0].securityContext.privileged' })]);
  });

  it('keeps timestamp-like values as strings (go-yaml v2 does, into interface{})', () => {
    const [object] = vetManifests(files({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  day: 2024-01-01\n' }), permissivePolicy, NS);
    expect(object).toMatchObject({ data: { day: '2024-01-01' } });
  });

  it('accepts JSON documents and List kinds, each item judged and placed on its own', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default' } }] }, null, 2);
    const objects = vetManifests(files({ 'list.json': json }), permissivePolicy, NS);
    expect(objects.map((o) => [o.kind, o.metadata?.name, o.metadata?.namespace])).toEqual([['ConfigMap', 'a', NS], ['ConfigMap', 'b', NS]]);
    const hostile = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: x}\n';
    expect(issuesOf(hostile)).toEqual([expect.objectContaining({ field: 'items[0].kind', line: 5, column: 5, message: expect.stringMatching(/^document 1, item 0, Namespace\/x/) })]);
  });

  it('reports syntax errors with line:col and refuses a document that is not a mapping', () => {
    expect(issuesOf('apiVersion: v1\nkind: [\n')[0]).toMatchObject({ file: 'app.yaml', line: expect.any(Number), message: expect.stringMatching(/^document 1: /) });
    expect(issuesOf('- a\n- b\n')).toEqual([expect.objectContaining({ line: 1, column: 1, message: expect.stringMatching(/must be a mapping/) })]);
  });

  it('refuses a submission with no object at all', () => {
    expect(issuesOf('# nothing\n---\n')).toEqual([{ message: 'no Kubernetes object in the submitted manifests' }]);
  });
});

describe('a lab policy from lab.yaml', () => {
  const vetting = { kinds: ['Deployment' as const], images: ['nginx:1.*'], quota: { maxReplicas: 3, cpu: '1', memory: '1Gi', storage: '1Gi' }, commands: ['scale' as const] };

  it('limits kinds, images and replicas to what the lab lists', () => {
    const deployment = (replicas: number, image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: ${replicas}\n  template:\n    spec:\n      containers: [{name: c, image: "${image}"}]\n`;
    expect(vetManifests(files({ 'd.yaml': deployment(3, 'nginx:1.25') }), labPolicy(vetting), NS)).toHaveLength(1);
    expect(issuesOf(deployment(4, 'httpd'), labPolicy(vetting)).map((i) => i.field)).toEqual(['spec.template.spec.containers[0].image', 'spec.replicas']);
    expect(issuesOf(pod(container()), labPolicy(vetting))).toEqual([expect.objectContaining({ field: 'kind', message: expect.stringMatching(/Pod is not used in this lab; allowed kinds: Deployment/) })]);
  });

  it('gives the kubectl allow-list the lab\'s verbs, and every verb to a lab without a vetting section', () => {
    expect(kubectlAllowList(vetting)).toEqual({ verbs: ['scale'], kinds: ['Deployment'], images: ['nginx:1.*'], maxReplicas: 3 });
    expect(kubectlAllowList(undefined).verbs).toContain('create deployment');
    expect(labPolicy(undefined)).toEqual(permissivePolicy);
  });
});
