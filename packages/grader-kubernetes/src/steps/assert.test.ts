import type { KubeCheckContext } from '../context';
import { assertStep } from './assert';

/** Runs the step as the run loop would (`source: submitted` needs no cluster: only the stages as handed in). */
const run = (raw: object, objects: object[]) => assertStep.prepare({ id: 'q', type: 'assert', title: { ja: 'q', en: 'q' }, points: 1, source: 'submitted', resource: { kind: 'Deployment', name: 'web' }, ...raw }).run(contextWith(objects));

function contextWith(objects: object[]): KubeCheckContext {
  const stage = { id: 'v1', objects: [], submitted: objects.map((object) => ({ object })), commands: [], commandFiles: new Map() };
  return { stages: new Map([['v1', stage]]) } as unknown as KubeCheckContext;
}

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.21' }] } } } };

test("a query that meets a missing field fails the check, saying what was queried and found (not kadai's error)", async () => {
  const outcome = await run({ jmespath: [{ query: 'length(spec.template.spec.containers[0].ports)', equals: 1 }] }, [deployment]);
  expect(outcome.status).toBe('fail');
  expect(outcome.message.en).toBe('The submitted Deployment/web is not as expected. JMESPath length(spec.template.spec.containers[0].ports) gave (cannot be evaluated: length() expected argument 1 to be type string,array,object but received type null instead.) (expected: equals 1).');
  expect(outcome.message.ja).toContain('JMESPath length(spec.template.spec.containers[0].ports) の結果は');
  expect(outcome.evidence).toContain('cannot be evaluated');
});

test('a path that is not there is shown as nothing found', async () => {
  const outcome = await run({ jmespath: [{ query: 'spec.template.spec.containers[0].ports[0].containerPort', equals: 80 }] }, [deployment]);
  expect(outcome.status).toBe('fail');
  expect(outcome.message.en).toContain('gave null (nothing there) (expected: equals 80)');
  expect((await run({ jmespath: [{ query: 'spec.template.spec.containers[0].image', equals: 'nginx:1.21' }] }, [deployment])).status).toBe('pass');
});
