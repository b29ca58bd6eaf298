import { attemptIdentity, attemptRules, defaultClusterNetwork, defaultLimits, networkPolicy, quotaObjects, workerAccess } from './guards';
import { GUARD_LABEL } from './labels';

const options = { limits: defaultLimits, network: defaultClusterNetwork, teachesResources: false };

test('a lab that does not teach resources gets CPU/memory quota and a LimitRange with ephemeral-storage limits', () => {
  const [quota, limitRange] = quotaObjects('ns', options);
  const hard = (quota as any).spec.hard;
  expect(hard).toMatchObject({ pods: '20', 'requests.storage': '2Gi', 'limits.cpu': '4', 'limits.memory': '4Gi', 'count/deployments.apps': '20' });
  const container = (limitRange as any).spec.limits.find((l: any) => l.type === 'Container');
  expect(container.default['ephemeral-storage']).toBe('512Mi');
  expect(container.max).toEqual({ cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' });
  expect((limitRange as any).spec.limits.find((l: any) => l.type === 'PersistentVolumeClaim').max.storage).toBe('1Gi');
});

test('a lab that teaches resources keeps object-count and storage quotas only: no CPU/memory bound, no LimitRange', () => {
  const objects = quotaObjects('ns', { ...options, teachesResources: true });
  expect(objects.map((o) => o.kind)).toEqual(['ResourceQuota']);
  const hard = (objects[0] as any).spec.hard;
  expect(hard.pods).toBe('20');
  expect(hard['requests.storage']).toBe('2Gi');
  expect(Object.keys(hard).filter((k) => /cpu|memory|ephemeral/.test(k))).toEqual([]);
});

test('the network policy isolates every Pod: in from the namespace and the ingress controller, out to the namespace, DNS and ingress', () => {
  const policy = networkPolicy('a', defaultClusterNetwork) as any;
  expect(policy.spec.podSelector).toEqual({});
  expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: {} }, { namespaceSelector: defaultClusterNetwork.ingress }] }]);
  expect(policy.spec.egress[1]).toEqual({ to: [{ namespaceSelector: defaultClusterNetwork.dns }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] });
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
  expect((workerAccess('ns', 'kadai-worker') as any).subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kadai-worker' }]);
  expect((workerAccess('ns', 'system:serviceaccount:kadai:worker') as any).subjects).toEqual([{ kind: 'ServiceAccount', namespace: 'kadai', name: 'worker' }]);
});
