import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import path from 'node:path';
import { expectLabSelfTests } from '../support/lab-selftests';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// Every lab's solution must score full marks and every wrong variant must fail the checks it names,
// graded through the real API and worker: this is how we know each check can fail. The kubernetes
// labs are graded by test/kubernetes/selftest.test.ts (with the cluster suites); here they are validated.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('selftest', { redisDb: 4, workers: 1 });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

it('every lab is valid and every quiz and docker self-test case scores as its lab says', async () => {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  expect(issues).toEqual([]);
  await expectLabSelfTests(stack, [...labs.values()].filter((lab) => lab.definition.kind !== 'kubernetes'), 8);
}, 30 * 60_000);
