import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import { runSelfTests } from '@kadai/selftest';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// Every lab's solution must score full marks and every wrong variant must fail the checks it names,
// graded through the real API and worker: this is how we know each check can fail.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('selftest', { redisDb: 4, workers: 1 });
}, 60_000);
afterAll(() => stack?.stop());

it('every lab is valid and every self-test case scores as its lab says', async () => {
  const { labs: all, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  expect(issues).toEqual([]);
  // KADAI_TEST_CLUSTER=0: no cluster here, so the kubernetes labs are only validated, not graded
  const labs = new Map([...all].filter(([, lab]) => process.env.KADAI_TEST_CLUSTER !== '0' || lab.definition.kind !== 'kubernetes'));
  const outcomes = await runSelfTests(stack.client('sensei'), [...labs.values()], { concurrency: 8 });
  const failures = outcomes.filter((o) => !o.ok).map((o) => `${o.lab} ${o.case}: ${o.detail}`);
  expect(failures).toEqual([]);
  // each lab has a solution and at least three wrong variants
  for (const lab of labs.keys()) {
    const cases = outcomes.filter((o) => o.lab === lab);
    expect(cases.filter((o) => o.case === 'solution')).toHaveLength(1);
    expect(cases.filter((o) => o.case.startsWith('wrong/')).length).toBeGreaterThanOrEqual(3);
  }
}, 30 * 60_000);
