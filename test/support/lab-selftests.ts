import type { Lab } from '@kadai/catalog';
import { runSelfTests } from '@kadai/selftest';
import type { Stack } from './stack';

/**
 * Grades every given lab's solution and wrong variants through the stack's real API and worker and
 * expects each to score as its lab says; each lab has a solution and at least three wrong variants.
 */
export async function expectLabSelfTests(stack: Stack, labs: Lab[], concurrency: number): Promise<void> {
  const outcomes = await runSelfTests(stack.client('sensei'), labs, { concurrency });
  const failures = outcomes.filter((o) => !o.ok).map((o) => `${o.lab} ${o.case}: ${o.detail}`);
  expect(failures).toEqual([]);
  for (const lab of labs) {
    const cases = outcomes.filter((o) => o.lab === lab.definition.id);
    expect(cases.filter((o) => o.case === 'solution')).toHaveLength(1);
    expect(cases.filter((o) => o.case.startsWith('wrong/')).length).toBeGreaterThanOrEqual(3);
  }
}
