import { parseYaml } from './parse';
import { expectationFor, labDefinition } from './schema';

const valid = `id: quiz-x
kind: quiz
chapter: 1
title: { ja: "テスト", en: "Test" }
instructions: { ja: "答えて", en: "Answer" }
timeLimitSeconds: 30
submission: { maxBytes: 1000, files: [{ path: answers.json }] }
questions:
  - id: q1
    type: single
    points: 1
    prompt: { ja: "?", en: "?" }
    choices:
      - { id: "1", text: { ja: "a", en: "a" } }
      - { id: "2", text: { ja: "b", en: "b" } }
    answer: ["3"]
    explanation: { ja: "x", en: "x" }
`;

describe('parseYaml', () => {
  it('reports schema errors with the line and column of the field', () => {
    const result = parseYaml('lab.yaml', valid, labDefinition);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([{ file: 'lab.yaml', line: 16, column: 14, message: 'questions.0.answer.0: no choice with id "3"' }]);
  });

  it('reports a missing field at its parent', () => {
    const result = parseYaml('lab.yaml', valid.replace('timeLimitSeconds: 30\n', '').replace('["3"]', '["2"]'), labDefinition);
    expect(result.ok ? [] : result.issues.map((i) => `${i.line}:${i.column} ${i.message}`)).toEqual([
      '1:1 timeLimitSeconds: Invalid input: expected number, received undefined',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const result = parseYaml('lab.yaml', 'id: x\nkind: [quiz\n', labDefinition);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject({ file: 'lab.yaml', line: 3 });
  });

  it('accepts a valid lab', () => {
    const result = parseYaml('lab.yaml', valid.replace('["3"]', '["2"]'), labDefinition);
    expect(result.ok).toBe(true);
  });

  describe('a kubernetes lab\'s vetting section', () => {
    const kubernetesLab = (vetting: string) => `id: k8s-x
kind: kubernetes
chapter: 3
title: { ja: "デプロイ", en: "Deploy" }
instructions: { ja: "作って", en: "Make it" }
timeLimitSeconds: 300
submission: { maxBytes: 100000 }
kubernetes:
  stages: [{ id: v1, files: [deployment.yaml] }]
checks:
  - { id: ready, type: rollout, title: { ja: "準備", en: "Ready" }, points: 1 }
vetting:
${vetting}`;

    it('is read into kinds, images, quota and commands', () => {
      const result = parseYaml('lab.yaml', kubernetesLab('  kinds: [Deployment, Service]\n  images: ["nginx:1.*"]\n  quota: { maxReplicas: 5, cpu: "2", memory: 2Gi, storage: 1Gi }\n  commands: [scale]\n'), labDefinition);
      expect(result.ok && result.value.kind === 'kubernetes' ? result.value.vetting : undefined).toEqual({
        kinds: ['Deployment', 'Service'], images: ['nginx:1.*'], quota: { maxReplicas: 5, cpu: '2', memory: '2Gi', storage: '1Gi' }, commands: ['scale'],
      });
    });

    it('cannot allow RBAC or cluster-scoped kinds, and names line:col of each bad field', () => {
      const result = parseYaml('lab.yaml', kubernetesLab('  kinds: [Deployment, ClusterRoleBinding]\n  images: [nginx]\n  quota: { maxReplicas: 5, cpu: two, memory: 2Gi, storage: 1Gi }\n  commands: [exec]\n'), labDefinition);
      expect(result.ok ? [] : result.issues.map((i) => `${i.line}:${i.column} ${i.message.split(':')[0]}`)).toEqual([
        '13:23 vetting.kinds.1', '15:33 vetting.quota.cpu', '16:14 vetting.commands.0',
      ]);
    });

    it('has stages with unique ids that hold every submitted file', () => {
      const text = kubernetesLab('  kinds: [Deployment]\n  images: [nginx]\n  quota: { maxReplicas: 5, cpu: "2", memory: 2Gi, storage: 1Gi }\n')
        .replace('submission: { maxBytes: 100000 }', 'submission: { maxBytes: 100000, files: [{ path: deployment.yaml }, { path: extra.yaml }] }')
        .replace('stages: [{ id: v1, files: [deployment.yaml] }]', 'stages: [{ id: v1, files: [deployment.yaml] }, { id: v1 }]\n  requires: [gpu]');
      const result = parseYaml('lab.yaml', text, labDefinition);
      expect(result.ok ? [] : result.issues.map((i) => `${i.line}:${i.column} ${i.message}`)).toEqual([
        '10:14 kubernetes.requires.0: Invalid option: expected one of "defaultStorageClass"|"ingressClass"|"loadBalancer"|"metricsServer"|"killContainer"|"ebsStorageClass"|"efsStorageClass"|"albIngressClass"',
        '9:50 kubernetes.stages.1: a stage has files, commands or both',
      ]);
      const fixed = parseYaml('lab.yaml', text.replace(', { id: v1 }]\n  requires: [gpu]', ', { id: v1, files: [extra.yaml] }]'), labDefinition);
      expect(fixed.ok ? [] : fixed.issues.map((i) => `${i.line}:${i.column} ${i.message}`)).toEqual(['9:56 kubernetes.stages.1.id: duplicate id "v1"']);
      const unstaged = parseYaml('lab.yaml', text.replace(', { id: v1 }]\n  requires: [gpu]', ']'), labDefinition);
      expect(unstaged.ok ? [] : unstaged.issues.map((i) => `${i.line}:${i.column} ${i.message}`)).toEqual(['7:76 submission.files.1.path: "extra.yaml" is in no stage of kubernetes.stages nor in kubernetes.documents']);
    });
  });
});

describe('expect.yaml', () => {
  const expectation = expectationFor(new Set(['builds', 'serves', 'port']));
  const issues = (text: string) => {
    const result = parseYaml('expect.yaml', text, expectation);
    return result.ok ? [] : result.issues.map((i) => `${i.line}:${i.column} ${i.message}`);
  };

  it('reads fails, skipped and rejected with their defaults', () => {
    expect(parseYaml('expect.yaml', 'fails: [builds]\nskipped: [serves]\nbase: solution\n', expectation)).toEqual({
      ok: true,
      value: { fails: ['builds'], skipped: ['serves'], rejected: false, base: 'solution', remove: [] },
    });
    expect(parseYaml('expect.yaml', 'rejected: true\n', expectation)).toMatchObject({ ok: true, value: { fails: [], skipped: [], rejected: true } });
  });

  it('names an unknown check at its line and column', () => {
    expect(issues('fails:\n  - builds\n  - servs\nskipped: [nope]\n')).toEqual([
      '3:5 fails.1: no check with id "servs" in this lab',
      '4:11 skipped.0: no check with id "nope" in this lab',
    ]);
  });

  it('refuses a check both failed and skipped, a variant naming nothing, and a rejected variant naming checks', () => {
    expect(issues('fails: [builds]\nskipped: [port, builds]\n')).toEqual(['2:17 skipped.1: "builds" cannot be both failed and skipped']);
    expect(issues('base: solution\n')).toEqual(['1:1 fails: name at least one check the variant must fail (or say rejected: true)']);
    expect(issues('rejected: true\nfails: [builds]\n')).toEqual(['1:11 rejected: a rejected variant is not graded: it names no fails or skipped checks']);
    expect(issues('fails: [builds]\nskip: [serves]\n')).toEqual([expect.stringMatching(/^1:1 .*skip/)]);
  });
});
