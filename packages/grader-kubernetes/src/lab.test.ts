import { loadLab } from '@kadai/catalog';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kubernetesLabIssues } from './lab';
import { readStages, VALIDATION_NAMESPACE } from './stages';
import { kubernetesDefinition } from './lab';
import { passingUnschedulable, redact } from './evidence';
import { toFieldPath } from './dry-run';

const FIXTURE_LAB = path.resolve(__dirname, '../../../test/kubernetes/labs/k8s-test-web');

/** A copy of the test lab with its lab.yaml changed. */
function labWith(change: (text: string) => string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'k8s-lab-')), 'k8s-test-web');
  cpSync(FIXTURE_LAB, dir, { recursive: true });
  writeFileSync(path.join(dir, 'lab.yaml'), change(readFileSync(path.join(dir, 'lab.yaml'), 'utf8')));
  return dir;
}

const validators = { kubernetes: kubernetesLabIssues };
const issuesOf = async (dir: string) => (await loadLab(dir, validators)).issues.map((i) => `${i.line}:${i.column} ${i.field}: ${i.message}`);

describe('kubernetesLabIssues', () => {
  it('accepts the test lab', async () => {
    expect(await issuesOf(FIXTURE_LAB)).toEqual([]);
  });

  it('names unknown stages, fixtures, needs and step fields with line:col', async () => {
    const dir = labWith((t) => t.replace('stage: v1', 'stage: v9').replace('fixture: marker', 'fixture: nope').replace('needs: [applied]\n    resource: { kind: Deployment, name: web }\n    match', 'needs: [service]\n    resource: { kind: Deployment, name: web }\n    match').replace('condition: Available', 'condition: Available\n    phase: Running'));
    expect(await issuesOf(dir)).toEqual([
      expect.stringMatching(/^\d+:\d+ checks\.1\.condition: wait for a condition or a phase/),
      expect.stringMatching(/^\d+:\d+ checks\.0\.stage: no stage "v9" in kubernetes.stages \(v1, scale\)$/),
      expect.stringMatching(/^\d+:\d+ checks\.2\.needs\.0: "service" is not a check before this one$/),
      expect.stringMatching(/^\d+:\d+ checks\.7\.fixture: no fixture "nope"/),
    ]);
  });

  it('names nodes of untaintNodes and everyNode that the lab lacks, a taint a node does not start with, and realNodes the lab does not allow', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'k8s-lab-')), 'k8s-daemonset');
    cpSync(path.resolve(__dirname, '../../../labs/k8s-daemonset'), dir, { recursive: true });
    const text = readFileSync(path.join(dir, 'lab.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'lab.yaml'), text.replace('nodes: [minikube-m04]\n    key: kadai-hold', 'nodes: [minikube-m09, minikube-gpu]\n    key: kadai-hold').replace('nodes: [minikube, minikube-m02, minikube-m03]', 'nodes: [minikube, minikube-m07]').replace('realNodes: true\n  nodes:', 'realNodes: false\n  nodes:'));
    expect(await issuesOf(dir)).toEqual([
      expect.stringMatching(/^\d+:\d+ checks\.2\.nodes\.1: no node "minikube-m07" in kubernetes.nodes/),
      expect.stringMatching(/^\d+:\d+ checks\.2\.realNodes: the lab's Pods run only on its own nodes/),
      expect.stringMatching(/^\d+:\d+ checks\.4\.nodes\.0: no node "minikube-m09"/),
      expect.stringMatching(/^\d+:\d+ checks\.4\.nodes\.1: node "minikube-gpu" starts with no taint "kadai-hold"/),
      expect.stringMatching(/^\d+:\d+ checks\.5\.realNodes: /),
    ]);
  });

  it('finds a malformed JMESPath expression, an unknown function and a wrong argument count at lab load', async () => {
    const query = `      - { query: "length([?status.phase=='Running'])", equals: 3 }`;
    const withQuery = (q: string) => labWith((t) => t.replace(query, `      - { query: "${q}", equals: 3 }`));
    expect(await issuesOf(withQuery('length([?status.phase=='))).toEqual([expect.stringMatching(/checks\.5\.jmespath\.0\.query: not a valid JMESPath expression/)]);
    expect(await issuesOf(withQuery('size(@)'))).toEqual([expect.stringMatching(/checks\.5\.jmespath\.0\.query: JMESPath has no function size\(\)$/)]);
    expect(await issuesOf(withQuery('length(@, @)'))).toEqual([expect.stringMatching(/checks\.5\.jmespath\.0\.query: length\(\) takes 1 argument\(s\), not 2$/)]);
    expect(await issuesOf(withQuery('not_null(spec.a, spec.b)'))).toEqual([]);
  });

  it('names a missing fixture file', async () => {
    const dir = labWith((t) => t.replace('file: marker.yaml', 'file: gone.yaml'));
    expect(await issuesOf(dir)).toEqual([expect.stringMatching(/kubernetes\.fixtures\.0\.file: fixtures\/gone\.yaml does not exist$/)]);
  });
});

describe('readStages (validation, no cluster)', () => {
  const lab = async () => (await loadLab(FIXTURE_LAB, validators)).lab!;
  const solution = () => new Map([['deployment.yaml', readFileSync(path.join(FIXTURE_LAB, 'solution/deployment.yaml'))], ['scale.txt', readFileSync(path.join(FIXTURE_LAB, 'solution/scale.txt'))]]);

  it('vets every stage: objects with their source, commands parsed', async () => {
    const stages = readStages(kubernetesDefinition(await lab()), solution(), VALIDATION_NAMESPACE);
    expect(stages.get('v1')?.objects.map((o) => `${o.file} ${o.label}`)).toEqual(['deployment.yaml document 1, Deployment/web', 'deployment.yaml document 2, Service/web']);
    expect(stages.get('scale')?.commands).toEqual([{ verb: 'scale', line: 2, target: { kind: 'Deployment', name: 'web' }, replicas: 3 }]);
  });

  it('rejects a privileged container and a command outside the allow-list, naming file, line and field', async () => {
    const files = solution();
    files.set('deployment.yaml', Buffer.from(files.get('deployment.yaml')!.toString().replace('ports: [{ containerPort: 80 }]', 'securityContext: { privileged: true }')));
    files.set('scale.txt', Buffer.from('kubectl delete deployment web\n'));
    let error: unknown;
    try {
      readStages(kubernetesDefinition(await lab()), files, VALIDATION_NAMESPACE);
    } catch (e) {
      error = e;
    }
    expect((error as { issues: unknown[] }).issues).toEqual([
      expect.objectContaining({ file: 'deployment.yaml', line: 16, field: 'spec.template.spec.containers[0].securityContext.privileged' }),
      expect.objectContaining({ file: 'scale.txt', line: 1, message: expect.stringContaining('"kubectl delete" is not part of this lab') }),
    ]);
  });
});

describe('toFieldPath', () => {
  it("turns the API server's field names into paths of the object as written", () => {
    const object = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'web' }] } } } };
    expect(toFieldPath('.spec.template.spec.containers[name="web"].imagee', object)).toEqual(['spec', 'template', 'spec', 'containers', 1, 'imagee']);
    expect(toFieldPath('spec.template.spec.containers[0].image', object)).toEqual(['spec', 'template', 'spec', 'containers', 0, 'image']);
    expect(toFieldPath('.spec.replicas', object)).toEqual(['spec', 'replicas']);
  });
});

it('redacts addresses and node names from evidence', () => {
  expect(redact('lookup registry on 10.255.255.53:53: no such host\nSuccessfully assigned kadai-a-1/web to node-7')).toBe('lookup registry on <address>: no such host\nSuccessfully assigned kadai-a-1/web to <node>');
});

it('does not take a Pod Pending for a claim being provisioned or a node full of other attempts for stuck', () => {
  expect(passingUnschedulable('0/16 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found')).toBe(true);
  expect(passingUnschedulable('0/13 nodes are available: 1 Insufficient cpu, 10 node(s) had untolerated taint(s), 2 Insufficient ephemeral-storage.')).toBe(true);
  expect(passingUnschedulable("0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 node(s) didn't match Pod's node affinity/selector.")).toBe(false);
});
