import { dumpYaml, KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { attemptIdentity, attemptRules, defaultClusterNetwork, defaultLimits, networkPolicy, probeLabels, quotaObjects, workerAccess } from './guards';
import { GUARD_LABEL } from './labels';

const options = { limits: defaultLimits, network: defaultClusterNetwork, teachesResources: false };
/** What the API server receives: the client serializes each known kind through its typed model (as KubernetesObjectApi.create does). */
const wire = (o: KubernetesObject): any => parse(dumpYaml(o));

test('a lab that does not teach resources gets CPU/memory quota and a LimitRange with ephemeral-storage limits', () => {
  const [quota, limitRange] = quotaObjects('ns', options).map(wire);
  const hard = quota.spec.hard;
  expect(hard).toMatchObject({ pods: '20', 'requests.storage': '2Gi', 'limits.cpu': '4', 'limits.memory': '4Gi', 'count/deployments.apps': '20' });
  const container = limitRange.spec.limits.find((l: any) => l.type === 'Container');
  // the defaults, not only the maxima, reach the API server (a JSON `default` would be dropped)
  expect(container.default).toEqual({ cpu: '500m', memory: '256Mi', 'ephemeral-storage': '512Mi' });
  expect(container.defaultRequest).toEqual({ cpu: '10m', memory: '64Mi', 'ephemeral-storage': '64Mi' });
  expect(container.max).toEqual({ cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' });
  expect(limitRange.spec.limits.find((l: any) => l.type === 'PersistentVolumeClaim').max.storage).toBe('1Gi');
});

test('a lab that teaches resources keeps object-count and storage quotas only: no CPU/memory bound, no LimitRange', () => {
  const objects = quotaObjects('ns', { ...options, teachesResources: true });
  expect(objects.map((o) => o.kind)).toEqual(['ResourceQuota']);
  const hard = wire(objects[0]!).spec.hard;
  expect(hard.pods).toBe('20');
  expect(hard['requests.storage']).toBe('2Gi');
  expect(Object.keys(hard).filter((k) => /cpu|memory|ephemeral/.test(k))).toEqual([]);
});

test("the network policy isolates every Pod: in from the namespace, kadai's probe and the ingress controller, out to the namespace, DNS and ingress", () => {
  const policy = wire(networkPolicy('a', defaultClusterNetwork));
  expect(policy.spec.podSelector).toEqual({});
  expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  // the sources reach the API server (a JSON `from` would be dropped, leaving an empty rule: anyone in)
  expect(policy.spec.ingress).toEqual([
    { from: [{ podSelector: {} }, { podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'kadai', 'kadai.dev/probe': 'true' } } }, { namespaceSelector: defaultClusterNetwork.ingress }] },
  ]);
  expect(probeLabels).toEqual({ 'app.kubernetes.io/managed-by': 'kadai', 'kadai.dev/probe': 'true' });
  expect(policy.spec.egress).toEqual([
    { to: [{ podSelector: {} }, { namespaceSelector: defaultClusterNetwork.ingress }] },
    { to: [{ namespaceSelector: defaultClusterNetwork.dns }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
  ]);
});

test("the attempt's Role cannot touch NetworkPolicies, quotas, LimitRanges or RBAC, and every guard is labelled", () => {
  const kinds = attemptRules.flatMap((r) => r.resources);
  for (const forbidden of ['networkpolicies', 'resourcequotas', 'limitranges', 'roles', 'rolebindings', 'serviceaccounts', 'namespaces']) {
    expect(kinds).not.toContain(forbidden);
  }
  expect(attemptRules.flatMap((r) => r.apiGroups)).not.toContain('*');
  for (const o of [...attemptIdentity('ns'), ...quotaObjects('ns', options), networkPolicy('ns', defaultClusterNetwork)]) {
    expect(o.metadata?.labels?.[GUARD_LABEL]).toBe('true');
    expect(o.metadata?.namespace).toBe('ns');
  }
});

test('the worker is bound as a User, or as a ServiceAccount when it runs in a Pod', () => {
  expect(wire(workerAccess('ns', 'kadai-worker')).subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kadai-worker' }]);
  expect(wire(workerAccess('ns', 'system:serviceaccount:kadai:worker')).subjects).toEqual([{ kind: 'ServiceAccount', namespace: 'kadai', name: 'worker' }]);
});
