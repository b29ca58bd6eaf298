import { ApiException } from '@kubernetes/client-node';
import { Agent } from 'node:https';
import { rbacNotYetInEffect } from './namespace';
import { keepAliveLike } from './target';

const forbidden = (message: string) => new ApiException(403, 'forbidden', JSON.stringify({ kind: 'Status', message }), {});

test('a 403 is retried only while RBAC has not caught up with a binding or Role written a moment ago', () => {
  // the worker's own RoleBinding not yet in the authorizer's cache
  expect(rbacNotYetInEffect(forbidden('resourcequotas is forbidden: User "kadai-worker" cannot create resource "resourcequotas" in API group "" in the namespace "kadai-a-0123456789ab"'))).toBe(true);
  // the attempt's binding before its Role is cached (escalation check)
  expect(rbacNotYetInEffect(forbidden('rolebindings.rbac.authorization.k8s.io "kadai-attempt" is forbidden: role.rbac.authorization.k8s.io "kadai-attempt" not found'))).toBe(true);
  expect(rbacNotYetInEffect(forbidden('rolebindings.rbac.authorization.k8s.io "kadai-attempt" is forbidden: user "kadai-worker" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}'))).toBe(true);
  // refusals that waiting does not change
  expect(rbacNotYetInEffect(forbidden("networkpolicies.networking.k8s.io \"x\" is forbidden: ValidatingAdmissionPolicy 'kadai-worker-fence' with binding 'kadai-worker-fence' denied request: kadai-worker may only change … not found"))).toBe(false);
  expect(rbacNotYetInEffect(forbidden('pods "p" is forbidden: exceeded quota: kadai-quota, requested: pods=1, used: pods=20, limited: pods=20'))).toBe(false);
  // creating a RoleBinding whose Role the API server's cache does not hold yet answers 404
  const bindingNotFound = new ApiException(404, 'not found', '{"message":"rolebindings.rbac.authorization.k8s.io \\"kadai-attempt\\" not found"}', {});
  expect(rbacNotYetInEffect(bindingNotFound, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' })).toBe(true);
  expect(rbacNotYetInEffect(new ApiException(404, 'not found', '{"message":"namespaces \\"x\\" not found"}', {}), { apiVersion: 'v1', kind: 'ConfigMap' })).toBe(false);
  expect(rbacNotYetInEffect(new Error('socket hang up'))).toBe(false);
});

test("client-node's per-request TLS agent is replaced by one that keeps its connections, with the same TLS settings", () => {
  const made = new Agent({ ca: 'CA', cert: 'CERT', key: 'KEY', servername: 'kubernetes' });
  const kept = keepAliveLike(made)!;
  expect(kept).toBeInstanceOf(Agent);
  expect(kept.options).toMatchObject({ ca: 'CA', cert: 'CERT', key: 'KEY', servername: 'kubernetes', keepAlive: true });
  expect(kept.options.timeout).toBeLessThan(90_000); // below the API server's idle timeout
  class ProxyAgent extends Agent {}
  expect(keepAliveLike(new ProxyAgent())).toBeUndefined();
  expect(keepAliveLike(undefined)).toBeUndefined();
});
