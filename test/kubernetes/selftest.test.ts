import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import path from 'node:path';
import { expectLabSelfTests } from '../support/lab-selftests';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// The kubernetes labs' self-tests on the local cluster. Their gradings mostly wait (rollouts, polls
// of a wrong variant to its check's deadline), so one worker grades several at once: every attempt
// has its own namespace, and the chapter 6 labs their own nodes.
const GRADINGS_AT_ONCE = 6;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_selftest', { redisDb: 7, workers: 1, workerEnv: { KADAI_CONCURRENCY_KUBERNETES: String(GRADINGS_AT_ONCE) } });
}, 240_000);
afterAll(() => stack?.stop());

it('every kubernetes lab\'s self-test cases score as the lab says', async () => {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  expect(issues).toEqual([]);
  // the longest labs first: their cases start while the short ones fill the gaps, not at the end
  const kubernetesLabs = [...labs.values()].filter((lab) => lab.definition.kind === 'kubernetes').sort((a, b) => b.definition.timeLimitSeconds - a.definition.timeLimitSeconds);
  await expectLabSelfTests(stack, kubernetesLabs, GRADINGS_AT_ONCE * 2);
}, 52 * 60_000);
