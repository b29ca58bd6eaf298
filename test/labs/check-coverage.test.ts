import { checkCoverage, loadCatalog, loadSelfTests } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';

/**
 * Checks that no wrong variant fails and that the lab does not declare unfailed (labs/README.md,
 * `unfailed.yaml`): the self-test never sees them fail, so they might never fail at all. Each entry
 * here is a known gap to close with a variant (or a declaration, where no honest mistake fails
 * the check); the test fails when a gap appears, and when one is closed without this list shrinking.
 * `kadai labs unfailed` prints the same list.
 */
const KNOWN_GAPS: Record<string, string[]> = {
};

it('every check of every lab is failed by a wrong variant, declared unfailed with a reason, or a known gap', async () => {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  expect(issues).toEqual([]);
  const gaps: Record<string, string[]> = {};
  for (const lab of labs.values()) {
    const { coverage } = await checkCoverage(lab, (await loadSelfTests(lab)).cases);
    if (coverage.undeclared.length > 0) gaps[coverage.lab] = coverage.undeclared;
  }
  expect(gaps).toEqual(KNOWN_GAPS);
});
