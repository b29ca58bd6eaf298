import { vetManifestSources, permissivePolicy } from '@kadai/k8s-vetting';
import { placementIssues } from './placement';

const vet = (yaml: string) => vetManifestSources(new Map([['pods.yaml', Buffer.from(yaml)]]), permissivePolicy, 'kadai-a-000000000000');
const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}\n  containers:\n  - name: nginx\n    image: nginx:1.21.6\n`;

describe('placementIssues', () => {
  const nodes = ['minikube', 'minikube-m02', 'minikube-m04'];

  it('accepts what the chapter-6 exercises write', () => {
    expect(placementIssues(vet(pod('  nodeSelector:\n    vendor: dell')), nodes)).toEqual([]);
    expect(placementIssues(vet(pod('  nodeSelector:\n    kubernetes.io/hostname: minikube-m04\n  tolerations:\n  - key: env\n    operator: Equal\n    value: prod')), nodes)).toEqual([]);
  });

  it('refuses a toleration of every taint, the control plane, nodeName, kadai\'s keys and other nodes, with line and field', () => {
    const issues = placementIssues(
      vet(
        pod(
          [
            '  nodeName: kadai-control-plane',
            '  tolerations:',
            '  - operator: Exists',
            '  - key: kadai.dev/attempt',
            '    operator: Exists',
            '  nodeSelector:',
            '    node-role.kubernetes.io/control-plane: ""',
            '  affinity:',
            '    nodeAffinity:',
            '      requiredDuringSchedulingIgnoredDuringExecution:',
            '        nodeSelectorTerms:',
            '        - matchExpressions:',
            '          - key: kubernetes.io/hostname',
            '            operator: In',
            '            values: [kadai-worker-1]',
          ].join('\n'),
        ),
      ),
      nodes,
    );
    expect(issues.map((i) => `${i.line}:${i.field}`)).toEqual([
      '6:spec.nodeName',
      '8:spec.tolerations[0]',
      '9:spec.tolerations[1].key',
      '12:spec.nodeSelector.node-role.kubernetes.io/control-plane',
      '18:spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key',
    ]);
    expect(issues[1]?.message).toMatch(/tolerates every taint/);
    expect(issues[4]?.message).toMatch(/"kadai-worker-1" is not one of this lab's nodes/);
  });

  it('judges Pod templates of workloads too', () => {
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {app: d}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      tolerations:\n      - operator: Exists\n      containers:\n      - name: nginx\n        image: nginx:1.21.6\n';
    expect(placementIssues(vet(deployment), nodes).map((i) => i.field)).toEqual(['spec.template.spec.tolerations[0]']);
  });
});
