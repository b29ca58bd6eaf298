import type { ObjectClient } from '@kadai/k8s-sandbox';
import { vetManifestSources, permissivePolicy } from '@kadai/k8s-vetting';
import { AttemptNodes } from './attempt-nodes';

describe('AttemptNodes.pin', () => {
  it('ANDs the attempt\'s own nodes into every term of the student\'s affinity and adds the attempt\'s toleration, leaving the original alone', async () => {
    const yaml = [
      'apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:',
      '  affinity:', '    nodeAffinity:', '      requiredDuringSchedulingIgnoredDuringExecution:', '        nodeSelectorTerms:',
      '        - matchExpressions: [{key: method, operator: In, values: [vendor]}]',
      '        - matchExpressions: [{key: method, operator: In, values: [diy]}]',
      '  containers: [{name: nginx, image: nginx:1.21.6}]',
    ].join('\n');
    const [vetted] = vetManifestSources(new Map([['p.yaml', Buffer.from(yaml)]]), permissivePolicy, 'kadai-a-0123');
    const nodes = await createWithoutCluster();
    const [pinned] = nodes.pin([vetted!]);
    const spec = (pinned!.object as unknown as { spec: Record<string, any> }).spec;
    const own = { key: 'kadai.dev/attempt-node', operator: 'In', values: ['kadai-a-0123'] };
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'method', operator: 'In', values: ['vendor'] }, own] },
      { matchExpressions: [{ key: 'method', operator: 'In', values: ['diy'] }, own] },
    ]);
    expect(spec.tolerations).toEqual([{ key: 'kadai.dev/attempt', operator: 'Equal', value: 'kadai-a-0123', effect: 'NoSchedule' }]);
    expect((vetted!.object as unknown as { spec: Record<string, unknown> }).spec.tolerations).toBeUndefined();
    expect(AttemptNodes.nodeName('kadai-a-0123', 'minikube-m02')).toBe('kadai-n-0123-minikube-m02');
  });

  it('with realNodes, lets every term run on the attempt\'s nodes or on a real (non-kwok) node, never on other fake nodes', async () => {
    const yaml = [
      'apiVersion: apps/v1', 'kind: DaemonSet', 'metadata:', '  name: daemon', 'spec:', '  selector: {matchLabels: {app: nginx}}',
      '  template:', '    metadata: {labels: {app: nginx}}', '    spec:', '      containers: [{name: nginx, image: nginx:latest}]',
    ].join('\n');
    const [vetted] = vetManifestSources(new Map([['ds.yaml', Buffer.from(yaml)]]), permissivePolicy, 'kadai-a-0123');
    const [pinned] = (await createWithoutCluster(true)).pin([vetted!]);
    const spec = (pinned!.object as unknown as { spec: { template: { spec: Record<string, any> } } }).spec.template.spec;
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kadai.dev/attempt-node', operator: 'In', values: ['kadai-a-0123'] }] },
      { matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['kwok'] }] },
    ]);
  });
});

/** An AttemptNodes over a client that answers like a cluster where kwok made the nodes Ready at once (pin needs no cluster). */
function createWithoutCluster(realNodes = false): Promise<AttemptNodes> {
  const client = {
    request: () => Promise.resolve({}),
    list: () => Promise.resolve([{ status: { conditions: [{ type: 'Ready', status: 'True' }] } }]),
  } as unknown as ObjectClient;
  return AttemptNodes.create(client, 'kadai-a-0123', [{ name: 'minikube', labels: {}, taints: [] }], { realNodes });
}
