import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { parseKubectlCommands, type KubectlAllowList } from './kubectl';
import { WORKLOAD_KINDS } from './policy';

const ALLOW: KubectlAllowList = { verbs: ['apply', 'label', 'taint'], kinds: WORKLOAD_KINDS, images: ['nginx'], maxReplicas: 10, nodes: ['minikube', 'minikube-m02', 'minikube-m04'] };

function issuesOf(text: string): InputIssue[] {
  try {
    parseKubectlCommands(text, ALLOW);
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues;
    throw error;
  }
  throw new Error('the commands were accepted');
}

describe('kubectl label/taint on nodes (chapter 6)', () => {
  it('reads the course\'s node label and taint commands as data', () => {
    const text = [
      'kubectl label node minikube vendor=dell',
      'kubectl label nodes minikube-m02 method=diy cpu=samsung memory=1500',
      'kubectl label node minikube vendor=hp --overwrite',
      'kubectl label node/minikube vendor-',
      'kubectl taint nodes minikube-m04 env=prod:NoExecute',
      'kubectl taint nodes minikube-m04 env-',
      'kubectl taint node minikube-m04 dedicated:NoSchedule env:NoExecute-',
    ].join('\n');
    expect(parseKubectlCommands(text, ALLOW)).toEqual([
      { verb: 'label', line: 1, target: { kind: 'Node', name: 'minikube' }, set: { vendor: 'dell' }, remove: [], overwrite: false },
      { verb: 'label', line: 2, target: { kind: 'Node', name: 'minikube-m02' }, set: { method: 'diy', cpu: 'samsung', memory: '1500' }, remove: [], overwrite: false },
      { verb: 'label', line: 3, target: { kind: 'Node', name: 'minikube' }, set: { vendor: 'hp' }, remove: [], overwrite: true },
      { verb: 'label', line: 4, target: { kind: 'Node', name: 'minikube' }, set: {}, remove: ['vendor'], overwrite: false },
      { verb: 'taint', line: 5, target: { kind: 'Node', name: 'minikube-m04' }, add: [{ key: 'env', value: 'prod', effect: 'NoExecute' }], remove: [], overwrite: false },
      { verb: 'taint', line: 6, target: { kind: 'Node', name: 'minikube-m04' }, add: [], remove: [{ key: 'env' }], overwrite: false },
      { verb: 'taint', line: 7, target: { kind: 'Node', name: 'minikube-m04' }, add: [{ key: 'dedicated', effect: 'NoSchedule' }], remove: [{ key: 'env', effect: 'NoExecute' }], overwrite: false },
    ]);
  });

  it('refuses a taint without an effect, an unknown effect, a taint on a Pod and nodes for other verbs', () => {
    expect(issuesOf('kubectl taint nodes minikube env=prod')).toEqual([expect.objectContaining({ line: 1, field: 'env=prod', message: expect.stringContaining('needs an effect') })]);
    expect(issuesOf('kubectl taint nodes minikube env=prod:Sometimes')).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('needs an effect') })]);
    expect(issuesOf('kubectl taint pod web env=prod:NoSchedule')).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('works on nodes') })]);
    expect(issuesOf('kubectl taint nodes minikube env=prod:NoSchedule --all')).toEqual([expect.objectContaining({ line: 1, field: '--all' })]);
    expect(issuesOf('kubectl apply -f x.yaml\nkubectl label node minikube a=b -n kube-system')).toEqual([expect.objectContaining({ line: 2, field: '-n' })]);
  });

  it('names only the lab\'s own nodes: never the real node, the shared fake nodes, or a node of a lab without nodes', () => {
    for (const node of ['kadai-control-plane', 'kadai-worker-1', 'minikube-m03']) {
      expect(issuesOf(`kubectl label node ${node} vendor=dell`)).toEqual([expect.objectContaining({ line: 1, field: node, message: expect.stringContaining('is not one of this lab\'s nodes') })]);
      expect(issuesOf(`kubectl taint nodes ${node} env=prod:NoExecute`)).toEqual([expect.objectContaining({ line: 1, field: node })]);
    }
    expect(() => parseKubectlCommands('kubectl label node minikube vendor=dell', { ...ALLOW, nodes: [] })).toThrow(/Node is not used in this lab/);
  });
});
