import type { V1LabelSelector, V1LimitRange, V1NetworkPolicy, V1NetworkPolicyPeer, V1PolicyRule, V1ResourceQuota, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { ATTEMPT_ACCOUNT, GUARD_LABEL, MANAGED_BY, PROBE_LABEL } from './labels';

/*
 * The guards are the client's typed models, not plain JSON: KubernetesObjectApi serializes every
 * kind it knows through them, and they spell some fields differently (`_default` is LimitRange's
 * `default`, `_from` a NetworkPolicy rule's `from`). A JSON `default` or `from` handed to it is
 * dropped without a word — the LimitRange lost its defaults (containers got the maxima) and the
 * NetworkPolicy its ingress sources (an empty rule: anyone in). Typed, the compiler sees to it.
 */

/** What one attempt may hold. Counts bound every lab; CPU and memory only labs that don't teach them. */
export interface SandboxLimits {
  pods: number;
  services: number;
  loadBalancers: number;
  nodePorts: number;
  persistentVolumeClaims: number;
  /** Sum of the claims' requested sizes, e.g. "2Gi". */
  storage: string;
  /** Largest single claim (a LimitRange; only where kadai sets LimitRanges). */
  claimMax: string;
  /** Each of: ConfigMaps, Secrets, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, Ingresses, HPAs. */
  objectsPerKind: number;
  /** Namespace totals. */
  cpu: { requests: string; limits: string };
  memory: { requests: string; limits: string };
  ephemeralStorage: { requests: string; limits: string };
  /** Per container: what it gets when it asks for nothing, and the most it may ask for. */
  container: {
    default: { cpu: string; memory: string; ephemeralStorage: string };
    defaultRequest: { cpu: string; memory: string; ephemeralStorage: string };
    max: { cpu: string; memory: string; ephemeralStorage: string };
  };
}

export const defaultLimits: SandboxLimits = {
  pods: 20,
  services: 10,
  loadBalancers: 2,
  nodePorts: 2,
  persistentVolumeClaims: 5,
  storage: '2Gi',
  claimMax: '1Gi',
  objectsPerKind: 20,
  cpu: { requests: '2', limits: '4' },
  memory: { requests: '2Gi', limits: '4Gi' },
  ephemeralStorage: { requests: '2Gi', limits: '4Gi' },
  container: {
    default: { cpu: '500m', memory: '256Mi', ephemeralStorage: '512Mi' },
    // a container that asks for no CPU is placed as asking for 10m: an attempt's Pods are few, short-lived
    // and mostly idle, and at 50m a CI run's gradings (~40 Pods of the labs' self-tests beside the
    // grader's tests) held 99 % of a 2-core node's CPU in requests, so new Pods waited for room until
    // their grading gave up (its limit, `default`, is what bounds what a container uses)
    defaultRequest: { cpu: '10m', memory: '64Mi', ephemeralStorage: '64Mi' },
    max: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' },
  },
};

/** Where the cluster's shared services run, for the attempt's network policy. */
export interface ClusterNetwork {
  /** Namespaces of the cluster DNS (egress to port 53). */
  dns: V1LabelSelector;
  /** Namespaces of the ingress controller (it may reach the attempt's Pods; they may reach it). */
  ingress: V1LabelSelector;
}

export const defaultClusterNetwork: ClusterNetwork = {
  dns: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  ingress: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
};

export interface GuardOptions {
  limits: SandboxLimits;
  network: ClusterNetwork;
  /**
   * The lab teaches requests, limits, quotas or LimitRanges: kadai adds no CPU/memory quota and no
   * LimitRange there (they would change what the student observes); vetting and node limits bound it.
   */
  teachesResources: boolean;
}

const guardMeta = (name: string, namespace: string) => ({ name, namespace, labels: { [GUARD_LABEL]: 'true' } });

const counts = (l: SandboxLimits): Record<string, string> => {
  const perKind = String(l.objectsPerKind);
  return {
    pods: String(l.pods),
    services: String(l.services),
    'services.loadbalancers': String(l.loadBalancers),
    'services.nodeports': String(l.nodePorts),
    persistentvolumeclaims: String(l.persistentVolumeClaims),
    'requests.storage': l.storage,
    configmaps: perKind,
    secrets: perKind,
    replicationcontrollers: perKind,
    'count/deployments.apps': perKind,
    'count/replicasets.apps': perKind,
    'count/statefulsets.apps': perKind,
    'count/daemonsets.apps': perKind,
    'count/jobs.batch': perKind,
    'count/cronjobs.batch': perKind,
    'count/ingresses.networking.k8s.io': perKind,
    'count/horizontalpodautoscalers.autoscaling': perKind,
  };
};

const computeBounds = (l: SandboxLimits): Record<string, string> => ({
  'requests.cpu': l.cpu.requests,
  'limits.cpu': l.cpu.limits,
  'requests.memory': l.memory.requests,
  'limits.memory': l.memory.limits,
  'requests.ephemeral-storage': l.ephemeralStorage.requests,
  'limits.ephemeral-storage': l.ephemeralStorage.limits,
});

const resources = (r: { cpu: string; memory: string; ephemeralStorage: string }) => ({
  cpu: r.cpu,
  memory: r.memory,
  'ephemeral-storage': r.ephemeralStorage,
});

export const QUOTA_NAME = 'kadai-quota';

/** kadai's ResourceQuota and (unless the lab teaches resources) LimitRange. */
export function quotaObjects(namespace: string, o: GuardOptions): (V1ResourceQuota | V1LimitRange)[] {
  const hard = o.teachesResources ? counts(o.limits) : { ...counts(o.limits), ...computeBounds(o.limits) };
  const quota: V1ResourceQuota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: guardMeta(QUOTA_NAME, namespace), spec: { hard } };
  if (o.teachesResources) return [quota];
  const c = o.limits.container;
  const limitRange: V1LimitRange = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: guardMeta('kadai-limits', namespace),
    spec: {
      limits: [
        { type: 'Container', _default: resources(c.default), defaultRequest: resources(c.defaultRequest), max: resources(c.max) },
        { type: 'PersistentVolumeClaim', max: { storage: o.limits.claimMax } },
      ],
    },
  };
  return [quota, limitRange];
}

/** kadai's probe Pods (behaviour checks run from inside the attempt's namespace) carry these labels. */
export const probeLabels = { [MANAGED_BY.key]: MANAGED_BY.value, [PROBE_LABEL]: 'true' };

/**
 * One policy selecting every Pod of the attempt, so anything it does not allow is denied — above
 * all, other attempts' Pods:
 * in from the attempt's own Pods, kadai's probe Pods there (named on their own, so they stay
 * admitted whatever else a lab narrows) and the ingress controller; out to the attempt's own Pods
 * (and so its Services, which resolve to them), the ingress controller and the cluster DNS.
 * On a cluster whose DNS and ingress controller are host processes (the local one) those two are
 * the host firewall's business, not this policy's.
 */
export function networkPolicy(namespace: string, network: ClusterNetwork): V1NetworkPolicy {
  const sameNamespace: V1NetworkPolicyPeer = { podSelector: {} };
  const probe: V1NetworkPolicyPeer = { podSelector: { matchLabels: probeLabels } };
  const ingressController: V1NetworkPolicyPeer = { namespaceSelector: network.ingress };
  const dnsPorts = [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: guardMeta('kadai-isolation', namespace),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [sameNamespace, probe, ingressController] }],
      egress: [
        { to: [sameNamespace, ingressController] },
        { to: [{ namespaceSelector: network.dns }], ports: dnsPorts },
      ],
    },
  };
}

const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * What a submission may do, as the attempt's ServiceAccount: the workload kinds the courses use,
 * inside its namespace only. Not NetworkPolicies, ResourceQuotas, LimitRanges or RBAC (kadai's own
 * guards are of those kinds), and nothing cluster-scoped (a Role cannot grant that).
 * `pods/exec` is for kadai's `exec` and `persist` steps, which run as the attempt so that they
 * reach only its own Pods; a student's own `kubectl exec` lines are never run (k8s-vetting).
 */
export const attemptRules: V1PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers'],
    verbs,
  },
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
  // the exec API is a GET upgraded to a WebSocket, authorized as `create` (and `get` by older API servers)
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale', 'daemonsets'], verbs },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
];

/**
 * In a lab that teaches resources, its second namespace (`team1`) only: the student's ResourceQuota
 * and LimitRange. No delete: kadai's own quota there is of that kind (vetting refuses `kadai-` names).
 */
export const resourcePolicyRules = [{ apiGroups: [''], resources: ['resourcequotas', 'limitranges'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }];

/** The attempt's ServiceAccount (in `accountNamespace`, the attempt's own), its Role in `namespace` and their binding. */
export function attemptIdentity(namespace: string, accountNamespace = namespace, rules: V1PolicyRule[] = attemptRules): [V1ServiceAccount, V1Role, V1RoleBinding] {
  const account: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: guardMeta(ATTEMPT_ACCOUNT, namespace), automountServiceAccountToken: false };
  const role: V1Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: guardMeta(ATTEMPT_ACCOUNT, namespace), rules };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: guardMeta(ATTEMPT_ACCOUNT, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ATTEMPT_ACCOUNT },
    subjects: [{ kind: 'ServiceAccount', name: ATTEMPT_ACCOUNT, namespace: accountNamespace }],
  };
  return [account, role, binding];
}

/** Binds the worker itself to kadai:attempt-admin in this namespace: its only way in. */
export function workerAccess(namespace: string, worker: string): V1RoleBinding {
  // a worker running in a Pod is a ServiceAccount, one with a kubeconfig a User
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(worker);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: guardMeta('kadai-worker', namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kadai:attempt-admin' },
    subjects: [sa ? { kind: 'ServiceAccount', namespace: sa[1], name: sa[2]! } : { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: worker }],
  };
}
