/**
 * Hostile Kubernetes submissions (issue 9, "Hostile input"), each handed in as `manifest.yaml` of the
 * fixture lab k8s-hostile (fixtures/hostile-labs) through the api. A REJECTED case is refused before
 * anything is applied: the problem names the file, line:col, document, object and field. The
 * CONTAINED cases (graded, bounded, cleaned up) are in hostile.test.ts beside what they assert.
 */
export interface RejectedCase {
  name: string;
  manifest: string;
  /** HTTP status of the refusal: 413 for what is too big to parse, 422 otherwise. */
  status: 413 | 422;
  /** Issues the refusal must list (each matched by one of them), as the api lists them: "file:line:col: message (field)". */
  issues: RegExp[];
  /** The refusal's detail, where a limit refuses the request as a whole (no issue per file). */
  detail?: RegExp;
}

const busybox = 'busybox:1.36';
const pod = (spec: string, name = 'p') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels: {app: hostile}\nspec:\n${spec}`;
const container = `  containers:\n    - name: c\n      image: ${busybox}\n      command: [sleep, "600"]\n`;

/** An alias bomb: each level nine aliases of the one before (9^6 sleeps once expanded). */
const aliasBomb = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: lol}',
  'data:',
  '  a: &a "lol"',
  ...'bcdefg'.split('').map((c, i) => `  ${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
].join('\n');

export const REJECTED: RejectedCase[] = [
  {
    name: 'a ClusterRoleBinding to cluster-admin',
    manifest: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: default}]\n',
    status: 422,
    issues: [/^manifest\.yaml:2:\d+: document 1, ClusterRoleBinding\/pwn: .*\(kind\)$/],
  },
  {
    name: 'a Namespace of its own',
    manifest: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mine\n',
    status: 422,
    issues: [/^manifest\.yaml:2:\d+: document 1, Namespace\/mine: .*cluster-scoped.*\(kind\)$/],
  },
  {
    name: 'a PersistentVolume of its own (the lab allows none)',
    manifest: `${pod(container)}\n---\napiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: mine\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  hostPath: {path: /}\n`,
    status: 422,
    issues: [/^manifest\.yaml:14:\d+: document 2, PersistentVolume\/mine: .*cluster-scoped.*\(kind\)$/],
  },
  {
    name: 'privileged with hostPath /',
    manifest: pod(`  containers:\n    - name: c\n      image: ${busybox}\n      securityContext: {privileged: true}\n      volumeMounts: [{name: root, mountPath: /host}]\n  volumes:\n    - name: root\n      hostPath: {path: /}\n`),
    status: 422,
    issues: [
      /^manifest\.yaml:10:\d+: document 1, Pod\/p: privileged containers are not allowed \(spec\.containers\[0\]\.securityContext\.privileged\)$/,
      /^manifest\.yaml:14:\d+: document 1, Pod\/p: hostPath volumes are not allowed.*\(spec\.volumes\[0\]\.hostPath\)$/,
    ],
  },
  {
    name: 'hostNetwork',
    manifest: pod(`  hostNetwork: true\n${container}`),
    status: 422,
    issues: [/^manifest\.yaml:7:\d+: document 1, Pod\/p: .*\(spec\.hostNetwork\)$/],
  },
  {
    name: "a Pod running as the attempt's own ServiceAccount (the rights kadai applies with)",
    manifest: pod(`  serviceAccountName: kadai-attempt\n  automountServiceAccountToken: true\n${container}`),
    status: 422,
    issues: [/^manifest\.yaml:7:\d+: document 1, Pod\/p: serviceAccountName "kadai-attempt" is not allowed.*\(spec\.serviceAccountName\)$/],
  },
  {
    name: 'an object in kube-system',
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\ndata: {Corefile: ". {}"}\n`,
    status: 422,
    issues: [/^manifest\.yaml:5:\d+: document 1, ConfigMap\/coredns: .*kube-system.*\(metadata\.namespace\)$/],
  },
  {
    name: '50,000 replicas',
    manifest: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: many\nspec:\n  replicas: 50000\n  selector: {matchLabels: {app: hostile}}\n  template:\n    metadata: {labels: {app: hostile}}\n    spec:\n${container.replace(/^ {2}/gm, '      ')}`,
    status: 422,
    issues: [/^manifest\.yaml:6:\d+: document 1, Deployment\/many: .*50000.*\(spec\.replicas\)$/],
  },
  {
    name: 'a 50 MiB ConfigMap',
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: "${'x'.repeat(50 * 1024 * 1024)}"\n`,
    status: 413,
    // the request body is refused by its size before any file is read
    issues: [],
    detail: /^the JSON body is larger than \d+ bytes$/,
  },
  { name: 'a YAML alias bomb', manifest: `${aliasBomb}\n`, status: 422, issues: [/^manifest\.yaml:1:1: alias bomb: excessive alias expansion \(more than 100 aliases\)$/] },
  {
    name: '5,000 objects',
    manifest: Array.from({ length: 5000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\n`).join('---\n'),
    status: 413,
    issues: [/^manifest\.yaml: the file is \d+ bytes; at most 65536 bytes are accepted per manifest file$/],
  },
  {
    name: '500 objects within the size limit (a List)',
    manifest: `apiVersion: v1\nkind: List\nitems:\n${Array.from({ length: 500 }, (_, i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}}`).join('\n')}\n`,
    status: 413,
    issues: [/^manifest\.yaml: the manifests hold more than 100 objects; at most 100 are accepted$/],
  },
  {
    name: '500 documents within the size limit',
    manifest: Array.from({ length: 500 }, (_, i) => `kind: ConfigMap\nmetadata: {name: c${i}}\n`).join('---\n'),
    status: 413,
    issues: [/^manifest\.yaml: the file holds \d+ YAML documents; at most 100 are accepted$/],
  },
  {
    name: 'an Ingress claiming every host (*)',
    manifest: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: all\nspec:\n  rules:\n    - host: "*"\n      http:\n        paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]\n`,
    status: 422,
    issues: [/^manifest\.yaml:7:\d+: document 1, Ingress\/all: .*\(spec\.rules\[0\]\.host\)$/],
  },
  // a host-less rule and a defaultBackend are contained instead: served only under the attempt's own
  // host (grader-kubernetes rewrite.ts; probe-steps.test.ts reaches two attempts' host-less Ingresses at once)
  {
    name: 'an ExternalName pointing at the API server',
    manifest: `apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  type: ExternalName\n  externalName: kubernetes.default.svc\n`,
    status: 422,
    issues: [/^manifest\.yaml:7:\d+: document 1, Service\/api: .*\(spec\.externalName\)$/],
  },
  {
    name: 'a probe with host: 169.254.169.254',
    manifest: pod(`  containers:\n    - name: c\n      image: ${busybox}\n      livenessProbe:\n        httpGet: {host: 169.254.169.254, path: /latest/meta-data/, port: 80}\n`),
    status: 422,
    issues: [/^manifest\.yaml:11:\d+: document 1, Pod\/p: .*\(spec\.containers\[0\]\.livenessProbe\.httpGet\.host\)$/],
  },
  {
    name: 'a merge key reaching an anchor of another document',
    manifest: `x-evil: &evil\n  privileged: true\n---\n${pod(`  containers:\n    - name: c\n      image: ${busybox}\n      securityContext:\n        <<: *evil\n`)}`,
    status: 422,
    // the api's YAML syntax check (intake) finds it first; vetting would name it too (k8s-vetting's vet.test.ts)
    issues: [/^manifest\.yaml:4:1: Unresolved alias \(the anchor must be set before the alias\): evil$/],
  },
  {
    name: 'YAML merge keys inside one document smuggling privileged',
    manifest: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: &sc {privileged: true}\nspec:\n  containers:\n    - name: c\n      image: ${busybox}\n      securityContext:\n        <<: *sc\n`,
    status: 422,
    issues: [/^manifest\.yaml:5:\d+: document 1, Pod\/p: .*privileged.*\(spec\.containers\[0\]\.securityContext\.privileged\)$/],
  },
  // issue 10's additions (chapters 6–8: scheduling, HPA, DaemonSet, StatefulSet)
  {
    name: 'a Pod tolerating every taint',
    manifest: pod(`  tolerations: [{operator: Exists}]\n${container}`),
    status: 422,
    issues: [/^manifest\.yaml:7:\d+: document 1, Pod\/p: a toleration without a key tolerates every taint of every node.*\(spec\.tolerations\[0\]\)$/],
  },
  {
    name: 'a nodeSelector aimed at the control plane',
    manifest: pod(`  nodeSelector:\n    node-role.kubernetes.io/control-plane: ""\n${container}`),
    status: 422,
    issues: [/^manifest\.yaml:8:\d+: document 1, Pod\/p: node-role\.kubernetes\.io\/control-plane: Pods may not ask for the cluster's control plane.*\(spec\.nodeSelector\.node-role\.kubernetes\.io\/control-plane\)$/],
  },
  {
    name: 'a DaemonSet asking for host ports',
    manifest: `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  selector: {matchLabels: {app: hostile}}\n  template:\n    metadata: {labels: {app: hostile}}\n    spec:\n${container.replace(/^ {2}/gm, '      ')}          ports: [{containerPort: 80, hostPort: 80}]\n`,
    status: 422,
    issues: [/^manifest\.yaml:14:\d+: document 1, DaemonSet\/ds: hostPort is not allowed.*\(spec\.template\.spec\.containers\[0\]\.ports\[0\]\.hostPort\)$/],
  },
  {
    name: 'an HPA with maxReplicas 10,000',
    manifest: `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 10000\n`,
    status: 422,
    issues: [/^manifest\.yaml:8:\d+: document 1, HorizontalPodAutoscaler\/h: 10000 replicas are more than this lab allows \(5\) \(spec\.maxReplicas\)$/],
  },
  {
    name: 'a StatefulSet with a 1 TiB volumeClaimTemplate',
    manifest: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  replicas: 1\n  selector: {matchLabels: {app: hostile}}\n  template:\n    metadata: {labels: {app: hostile}}\n    spec:\n${container.replace(/^ {2}/gm, '      ')}  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources: {requests: {storage: 1Ti}}\n`,
    status: 422,
    issues: [/^manifest\.yaml:20:\d+: document 1, StatefulSet\/db: .*storage.*quota \(1Gi\).*\(spec\.volumeClaimTemplates\[0\]\.spec\.resources\.requests\.storage\)$/],
  },
  {
    name: 'a Service with externalIPs',
    manifest: `apiVersion: v1\nkind: Service\nmetadata:\n  name: mitm\nspec:\n  selector: {app: hostile}\n  ports: [{port: 80}]\n  externalIPs: [10.96.0.1]\n`,
    status: 422,
    issues: [/^manifest\.yaml:8:\d+: document 1, Service\/mitm: .*\(spec\.externalIPs/],
  },
];
