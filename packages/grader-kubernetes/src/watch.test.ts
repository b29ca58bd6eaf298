import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectClient } from '@kadai/k8s-sandbox';
import { Evidence } from './evidence';
import type { ResourceLookup } from './resources';
import { settled } from './watch';

const deployment = (generation: number, observedGeneration?: number): KubernetesObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', uid: 'd1', generation, annotations: { 'deployment.kubernetes.io/revision': '2' } }, spec: { selector: { matchLabels: { app: 'web' } } }, status: observedGeneration === undefined ? {} : { observedGeneration, readyReplicas: 3 } }) as KubernetesObject;

test('status from before the latest change, or before the controller saw the object at all, is not taken', () => {
  expect(settled([deployment(2, 1)])).toBe(false); // patched: the status still describes generation 1
  expect(settled([deployment(1)])).toBe(false); // just made: no status yet (an empty status matches too much)
  expect(settled([deployment(2, 2)])).toBe(true);
  expect(settled([{ kind: 'StatefulSet', metadata: { generation: 1 }, status: {} } as KubernetesObject])).toBe(false);
  // kinds whose status does not track the generation are taken as they are
  expect(settled([{ kind: 'Service', metadata: { name: 's' } } as KubernetesObject, { kind: 'Pod', metadata: { generation: 1 }, status: { phase: 'Running' } } as KubernetesObject])).toBe(true);
  expect(settled([{ kind: 'Pod', metadata: { generation: 2 }, status: { observedGeneration: 1 } } as KubernetesObject])).toBe(false);
});

test("after a rollout a step acts on the Deployment's current Pods: none of the old ReplicaSet's, none being deleted", async () => {
  const rs = (uid: string, revision: string) => ({ kind: 'ReplicaSet', metadata: { uid, annotations: { 'deployment.kubernetes.io/revision': revision }, ownerReferences: [{ uid: 'd1', kind: 'Deployment' }] } });
  const pod = (name: string, rsUid: string, deleting = false) => ({ kind: 'Pod', metadata: { name, ownerReferences: [{ kind: 'ReplicaSet', uid: rsUid }], ...(deleting ? { deletionTimestamp: '2026-12-01T00:00:00Z' } : {}) } });
  const client = { list: async () => [rs('old', '1'), rs('new', '2')] } as unknown as ObjectClient;
  const resources = { namespace: 'kadai-a-0123456789ab', pods: async () => [pod('web-old-1', 'old'), pod('web-new-1', 'new'), pod('web-new-2', 'new', true), { kind: 'Pod', metadata: { name: 'bare' } }] } as unknown as ResourceLookup;
  const pods = await new Evidence(client, resources).livePodsOf([deployment(2, 2)]);
  expect(pods.map((p) => p.metadata?.name)).toEqual(['web-new-1', 'bare']);
});
