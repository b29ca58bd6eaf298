import { parseYaml } from './parse';
import { labDefinition } from './schema';

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
        '11:23 vetting.kinds.1', '13:33 vetting.quota.cpu', '14:14 vetting.commands.0',
      ]);
    });
  });
});
