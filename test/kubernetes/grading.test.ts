import { ApiError } from '@kadai/client';
import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import { runSelfTests } from '@kadai/selftest';
import { startStack, type Stack } from '../support/stack';
import { handIn, noNamespaceLeft, TEST_LABS } from './support';

// Kubernetes submissions through the real api and worker, graded on the local cluster as kadai's
// fenced worker identity: full marks for a correct Deployment, a wrong image failing fast, schema
// errors and vetting refusals rejected with file, line and field (no attempt used), and no
// namespace left behind.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_grading', { redisDb: 12, workers: 1, labsDir: TEST_LABS });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const web = (replace: Record<string, string> = {}) => handIn('k8s-test-web', ['deployment.yaml', 'scale.txt'], replace);
const solutionDeployment = () => web()['deployment.yaml'] as string;

it('grades a correct Deployment with full marks, with evidence, and removes its namespace', async () => {
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web() });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view).toMatchObject({ state: 'graded', score: 7, maxScore: 7 });
  expect(view.checks.map((c) => [c.checkId, c.status])).toEqual([
    ['applied', 'pass'], ['available', 'pass'], ['image', 'pass'], ['scaled', 'pass'], ['three-ready', 'pass'], ['service', 'pass'], ['marker', 'pass'], ['marker-there', 'pass'],
  ]);
  expect(view.checks.find((c) => c.checkId === 'scaled')?.evidence).toContain('deployment/web scaled');
  await noNamespaceLeft(accepted.id);
});

it('fails a Deployment whose image cannot be pulled at once, not after the 60 s wait, and skips what needs it', async () => {
  const client = stack.client('student2');
  const started = Date.now();
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': solutionDeployment().replace('nginx:1.21', 'nginx:1.999') }) });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view.state).toBe('graded');
  const available = view.checks.find((c) => c.checkId === 'available');
  expect(available?.status).toBe('fail');
  expect(available?.message?.en).toMatch(/cannot start: (ErrImagePull|ImagePullBackOff) \(the image nginx:1\.999 cannot be pulled\)/);
  expect(available?.message?.en).toContain('Hint: Check the image name.');
  expect(available?.message?.ja).toContain('イメージ nginx:1.999 を取得できません');
  expect(available?.evidence).toMatch(/Pod\/web-\S+ Pending \[web: (ErrImagePull|ImagePullBackOff)/);
  expect(available?.evidence).not.toMatch(/\b\d+\.\d+\.\d+\.\d+\b/); // no cluster addresses
  expect(view.checks.filter((c) => c.status === 'skipped').map((c) => c.checkId)).toEqual(['scaled', 'three-ready']);
  expect(Date.now() - started).toBeLessThan(55_000);
  await noNamespaceLeft(accepted.id);
});

it('rejects a schema error found by the dry run, naming file, line and field, with no attempt used and nothing left', async () => {
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': solutionDeployment().replace('image: nginx:1.21', 'image: nginx:1.21\n          imagePolicy: Always') }) });
  const view = await client.waitForResult(accepted.id, 120_000);
  expect(view).toMatchObject({ state: 'rejected', attempt: null, score: null });
  expect(view.rejection).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ file: 'deployment.yaml', line: 16, field: 'spec.template.spec.containers[0].imagePolicy', message: expect.stringContaining('field not declared in schema') }),
    ]),
  );
  await noNamespaceLeft(accepted.id);
});

it('rejects a privileged container at submission (the api vets without a cluster)', async () => {
  const error = await stack
    .client('student2')
    .submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': solutionDeployment().replace('ports: [{ containerPort: 80 }]', 'securityContext: { privileged: true }') }) })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  const problem = (error as ApiError).problem;
  expect(problem.status).toBe(422);
  expect(JSON.stringify(problem)).toMatch(/deployment\.yaml:16:\d+: document 1, Deployment\/web: privileged containers are not allowed/);
});

it("runs the test labs' self-tests: every solution full marks, every wrong variant failing its checks", async () => {
  const { labs, issues } = await loadCatalog(TEST_LABS, checkValidators);
  expect(issues).toEqual([]);
  // this file's two labs (others there need capabilities such as killContainer and have their own suites)
  const mine = ['k8s-test-web', 'k8s-test-steps'].map((id) => labs.get(id)!);
  const outcomes = await runSelfTests(stack.client('sensei'), mine, { concurrency: 2 });
  expect(outcomes.filter((o) => !o.ok).map((o) => `${o.lab} ${o.case}: ${o.detail}`)).toEqual([]);
  expect(outcomes).toHaveLength(4);
}, 600_000);
