import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../support/stack';
import { regraded, reloadLabs } from '../support/lab-reload';

// Issue 11: a Kubernetes lab's fixtures and schemas are graded from the lab version the grade
// records, never read from the labs folder at grading time. An edit of the folder nobody reloaded
// changes nothing; once reloaded, the regrade uses the new fixture and the new schema (a schema
// compiled for the old version is not reused), and says which version it used.

const LAB = 'k8s-reload-content';
const labYaml = `id: ${LAB}
kind: kubernetes
chapter: 1
title: { ja: "再読み込み", en: "Reload" }
instructions: { ja: "config.yaml を提出します。", en: "Hand in config.yaml." }
timeLimitSeconds: 60
submission:
  maxBytes: 4096
  files:
    - path: config.yaml
    - path: commands.txt
vetting:
  kinds: [Pod]
  images: [busybox]
  quota: { maxReplicas: 1, cpu: "1", memory: 256Mi, storage: 1Gi }
  commands: []
kubernetes:
  documents: [config.yaml]
  stages:
    - id: session
      commands: commands.txt
  fixtures:
    - { id: settings, file: settings.yaml }
checks:
  - id: settings
    type: apply
    fixture: settings
    title: { ja: "（kadai）設定を作る", en: "(kadai) makes the settings" }
    points: 0
  - id: colour
    type: assert
    resource: { kind: ConfigMap, name: settings }
    match: { data: { colour: blue } }
    timeoutSeconds: 10
    title: { ja: "設定は青", en: "The setting is blue" }
    points: 1
  - id: schema
    type: document
    file: config.yaml
    schema: config.json
    title: { ja: "config.yaml はスキーマに合う", en: "config.yaml is valid against the schema" }
    points: 1
`;
const fixture = (colour: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: ${colour}\n`;
const schema = (required: string[]) => JSON.stringify({ type: 'object', required, properties: { name: { type: 'string' }, size: { type: 'integer' } } });
const solution = { 'config.yaml': 'name: web\n', 'commands.txt': 'kubectl get pods\n' };

let stack: Stack;
let labsDir: string;
const labFile = (rel: string) => path.join(labsDir, LAB, rel);
const write = (rel: string, text: string) => {
  mkdirSync(path.dirname(labFile(rel)), { recursive: true });
  writeFileSync(labFile(rel), text);
};

beforeAll(async () => {
  labsDir = mkdtempSync(path.join(tmpdir(), 'kadai-k8s-reload-labs-'));
  write('lab.yaml', labYaml);
  write('fixtures/settings.yaml', fixture('blue'));
  write('schemas/config.json', schema(['name']));
  for (const [file, text] of Object.entries(solution)) write(`solution/${file}`, text);
  write('wrong/no-name/config.yaml', 'size: 1\n');
  write('wrong/no-name/expect.yaml', 'fails: [schema]\nbase: solution\n');
  write('unfailed.yaml', 'settings: kadai applies its own fixture; no student file takes part in it\ncolour: the fixture is kadai\'s own; no student file can change its colour\n');
  stack = await startStack('k8s_lab_reload', { redisDb: 13, workers: 1, labsDir, apiEnv: { KADAI_LOOKUP_CACHE_MS: '0' } });
}, 240_000); // starting an api and a worker takes a minute or more on 2 loaded cores
afterAll(async () => {
  await stack?.stop();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
});

const submit = async () => (await stack.client('student1').submitJson({ lab: LAB, files: solution })).id;
const checks = (view: { checks: Array<{ checkId: string; status?: string }> }) => Object.fromEntries(view.checks.map((c) => [c.checkId, c.status]));

describe('a Kubernetes lab changed in its folder', () => {
  it('grades with the fixture and schema of the version it records: an unreloaded edit changes nothing, a reloaded one takes effect', async () => {
    const v1 = (await stack.client('student1').lab(LAB)).version;
    const first = await stack.client('student1').waitForResult(await submit(), 180_000);
    expect(first).toMatchObject({ state: 'graded', score: 2, labVersion: v1, gradedLabVersion: v1 });

    // the folder is edited, nobody reloads: the fixture says red, the schema wants a size too
    write('fixtures/settings.yaml', fixture('red'));
    write('schemas/config.json', schema(['name', 'size']));
    const second = await stack.client('student1').waitForResult(await submit(), 180_000);
    expect(second).toMatchObject({ state: 'graded', score: 2, labVersion: v1, gradedLabVersion: v1 });
    expect(checks(second)).toEqual({ settings: 'pass', colour: 'pass', schema: 'pass' });

    // reloaded: the regrade uses the new fixture and the new schema, and records that version
    const reload = await reloadLabs(stack);
    expect(reload.status).toBe(200);
    const v2 = reload.labs.find((l) => l.id === LAB)!;
    expect(v2).toMatchObject({ change: 'updated', previousVersion: v1 });
    const third = await regraded(stack, first.id, 2, 180_000);
    expect(third).toMatchObject({ score: 0, labVersion: v1, gradedLabVersion: v2.version });
    expect(checks(third)).toEqual({ settings: 'pass', colour: 'fail', schema: 'fail' });
  }, 600_000);
});
