import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { parseKubectlCommands, type KubectlAllowList } from './kubectl';
import { WORKLOAD_KINDS } from './policy';

const ALLOW: KubectlAllowList = {
  verbs: ['apply', 'create deployment', 'expose', 'scale', 'set image', 'rollout undo', 'label', 'annotate', 'delete'],
  kinds: WORKLOAD_KINDS,
  images: ['kicbase/echo-server:1.0', 'nginx', 'busybox', 'httpd'],
  maxReplicas: 10,
};

function issuesOf(text: string, allow: KubectlAllowList = ALLOW): InputIssue[] {
  try {
    parseKubectlCommands(text, allow);
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues;
    throw error;
  }
  throw new Error('the commands were accepted');
}

describe('parseKubectlCommands', () => {
  it('accepts every kubectl command of chapters 2–5 and returns the ones that change something', () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'course', 'kubectl-commands.txt'), 'utf8');
    expect(parseKubectlCommands(text, ALLOW)).toEqual([
      { verb: 'create deployment', line: 4, name: 'hello-minikube', image: 'kicbase/echo-server:1.0' },
      { verb: 'expose', line: 5, target: { kind: 'Deployment', name: 'hello-minikube' }, port: 8080, type: 'NodePort' },
      { verb: 'delete', line: 14, targets: [{ kind: 'Deployment', name: 'hello-minikube' }], files: [] },
      { verb: 'apply', line: 19, files: ['webserver.yaml'] },
      { verb: 'delete', line: 23, targets: [], files: ['webserver.yaml'] },
      { verb: 'apply', line: 24, files: ['deployment.yaml'] },
      { verb: 'delete', line: 26, targets: [{ kind: 'Pod', name: 'mydeployment-5c6bdd9bcb-vgx5p' }], files: [] },
      { verb: 'scale', line: 27, target: { kind: 'Deployment', name: 'mydeployment' }, replicas: 3 },
      { verb: 'delete', line: 28, targets: [], files: ['deployment.yaml'] },
      { verb: 'apply', line: 29, files: ['nginx-deployment.yaml'] },
      { verb: 'rollout undo', line: 32, target: { kind: 'Deployment', name: 'nginx-deployment' } },
      { verb: 'apply', line: 34, files: ['two-webserver.yaml'] },
      { verb: 'apply', line: 37, files: ['nodeport.yaml'] },
      { verb: 'apply', line: 40, files: ['loadbalancer.yaml'] },
      { verb: 'apply', line: 42, files: ['file1.yaml', 'file2.yaml'] },
      { verb: 'apply', line: 44, files: ['pv.yaml'] },
      { verb: 'apply', line: 47, files: ['dpv.yaml'] },
    ]);
  });

  it('parses set image, label and annotate, scale with KIND/NAME and continuation lines', () => {
    const text = '$ kubectl set image deployment/nginx-deployment nginx=nginx:1.22\nkubectl label pod web tier=front old- --overwrite\nkubectl annotate deploy/web note="a b"\nkubectl scale \\\n  deploy/web --replicas 2 -n default\nkubectl rollout undo deployment/web --to-revision=2\n';
    expect(parseKubectlCommands(text, ALLOW)).toEqual([
      { verb: 'set image', line: 1, target: { kind: 'Deployment', name: 'nginx-deployment' }, images: { nginx: 'nginx:1.22' } },
      { verb: 'label', line: 2, target: { kind: 'Pod', name: 'web' }, set: { tier: 'front' }, remove: ['old'], overwrite: true },
      { verb: 'annotate', line: 3, target: { kind: 'Deployment', name: 'web' }, set: { note: 'a b' }, remove: [], overwrite: false },
      { verb: 'scale', line: 4, target: { kind: 'Deployment', name: 'web' }, replicas: 2 },
      { verb: 'rollout undo', line: 6, target: { kind: 'Deployment', name: 'web' }, toRevision: 2 },
    ]);
  });

  it('refuses everything outside the allow-list, naming the line and flag of each problem', () => {
    const text = [
      'kubectl create deployment x --image=evil.example.com/miner',
      'kubectl scale deployment x --replicas=50000',
      'kubectl expose deployment x --port=80 --external-ip=10.96.0.1',
      'kubectl apply -f https://example.com/x.yaml',
      'kubectl delete namespace kube-system',
      'kubectl label node minikube vendor=dell',
      'kubectl get pods; rm -rf /',
      'kubectl run x --image=nginx --privileged',
      'kubectl scale deployment x --replicas=2 -n kube-system',
      'minikube start',
      'kubectl create deployment x --image=nginx --replicas=five',
      'kubectl expose deployment x --port=80 --type=ExternalName',
    ].join('\n');
    expect(issuesOf(text).map((i) => `${i.line}:${i.field ?? ''}`)).toEqual([
      '1:--image', '2:--replicas', '3:--external-ip', '4:-f', '5:namespace', '6:node', '7:', '8:run', '9:-n', '10:minikube', '11:--replicas', '12:--type',
    ]);
    expect(issuesOf('kubectl scale deployment x --replicas=50000')[0]?.message).toBe('--replicas=50000 is more than this lab allows (10)');
    expect(issuesOf('kubectl get pods | sh')[0]?.message).toMatch(/read as one kubectl command, not run by a shell/);
  });

  it('refuses a verb the lab does not list', () => {
    expect(issuesOf('kubectl delete pod web', { ...ALLOW, verbs: ['apply'] })).toEqual([
      { file: 'commands.txt', line: 1, field: 'delete', message: '"kubectl delete" is not part of this lab; accepted: apply' },
    ]);
  });
});
