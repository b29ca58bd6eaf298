import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import path from 'node:path';
import { expectLabSelfTests } from '../support/lab-selftests';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// The kubernetes labs' self-tests on the local cluster. Their gradings mostly wait (rollouts, polls
// of a wrong variant to its check's deadline), so one worker grades several at once: every attempt
// has its own namespace, and the chapter 6 labs their own nodes.
const GRADINGS_AT_ONCE = 6;
// KADAI_SELFTEST_LABS=k8s-hpa,k8s-probes: only these labs' self-tests (one lab alone while working
// on it); unset or empty: every kubernetes lab (what CI runs)
const ONLY = (process.env.KADAI_SELFTEST_LABS ?? '').split(',').map((id) => id.trim()).filter(Boolean);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_selftest', { redisDb: 7, workers: 1, workerEnv: { KADAI_CONCURRENCY_KUBERNETES: String(GRADINGS_AT_ONCE) } });
}, 240_000);
afterAll(() => stack?.stop());

it(`${ONLY.length ? ONLY.join(', ') : 'every kubernetes lab'}: the self-test cases score as the lab says`, async () => {
  const { labs, issues } = await loadCatalog(path.join(REPO_ROOT, 'labs'), checkValidators);
  expect(issues).toEqual([]);
  const allKubernetes = [...labs.values()].filter((lab) => lab.definition.kind === 'kubernetes');
  // a misspelt id must not pass by testing nothing
  const known = new Set(allKubernetes.map((lab) => lab.definition.id));
  expect(ONLY.filter((id) => !known.has(id)).map((id) => `KADAI_SELFTEST_LABS names ${id}, which is no kubernetes lab of labs/`)).toEqual([]);
  // the longest labs first: their cases start while the short ones fill the gaps, not at the end
  const kubernetesLabs = allKubernetes.filter((lab) => ONLY.length === 0 || ONLY.includes(lab.definition.id)).sort((a, b) => b.definition.timeLimitSeconds - a.definition.timeLimitSeconds);
  await expectLabSelfTests(stack, kubernetesLabs, GRADINGS_AT_ONCE * 2);
}, 52 * 60_000);
