import { ApiError } from '@kadai/client';
import { loadCatalog } from '@kadai/catalog';
import { checkValidators } from '@kadai/graders';
import { execIn } from '@kadai/grader-kubernetes';
import { Sandboxes } from '@kadai/k8s-sandbox';
import { runSelfTests } from '@kadai/selftest';
import { startStack, type Stack } from '../support/stack';
import { workerKube } from './cluster';
import { handIn, noNamespaceLeft, TEST_LABS } from './support';

// Kubernetes submissions through the real api and worker, graded on the local cluster as kadai's
// fenced worker identity: full marks for a correct Deployment, a wrong image failing fast, schema
// errors and vetting refusals rejected with file, line and field (no attempt used), and no
// namespace left behind.
let stack: Stack;
beforeAll(async () => {
  // one retry, soon: a grading that kadai's capacity starves ends `error` within minutes (below)
  stack = await startStack('k8s_grading', { redisDb: 12, workers: 1, labsDir: TEST_LABS, workerEnv: { KADAI_RETRY_ATTEMPTS: '2', KADAI_RETRY_BACKOFF_MS: '500' } });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const web = (replace: Record<string, string> = {}) => handIn('k8s-test-web', ['deployment.yaml', 'scale.txt'], replace);
const solutionDeployment = () => web()['deployment.yaml'] as string;

/** The grading stopped at the terminal state, not at the check's 60 s wait — timed from the grading's own start (a queue wait on a loaded machine is not the check's). */
async function expectStoppedBeforeTheWait(id: string) {
  const [row] = await stack.sql<{ seconds: number }>('SELECT EXTRACT(EPOCH FROM finished_at - started_at)::float AS seconds FROM submissions WHERE id = $1', [id]);
  expect(row!.seconds).toBeLessThan(55);
}

it('grades a correct Deployment with full marks, with evidence, and removes its namespace', async () => {
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web() });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view).toMatchObject({ state: 'graded', score: 8, maxScore: 8 });
  expect(view.checks.map((c) => [c.checkId, c.status])).toEqual([
    ['applied', 'pass'], ['available', 'pass'], ['image', 'pass'], ['container-port', 'pass'], ['scaled', 'pass'], ['three-ready', 'pass'], ['service', 'pass'], ['marker', 'pass'], ['marker-there', 'pass'],
  ]);
  expect(view.checks.find((c) => c.checkId === 'scaled')?.evidence).toContain('deployment/web scaled');
  await noNamespaceLeft(accepted.id);
});

it('fails a Deployment whose image cannot be pulled at once, not after the 60 s wait, and skips what needs it', async () => {
  const client = stack.client('student2');
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
  await expectStoppedBeforeTheWait(accepted.id);
  await noNamespaceLeft(accepted.id);
});

it('fails a Deployment whose Pods Pod Security forbids at once, not after the 60 s wait, with the API server\'s reason', async () => {
  // vetting leaves seccomp alone and the dry run of a Deployment only warns: the ReplicaSet's Pods are
  // refused for good by the namespace's baseline Pod Security (Forbidden: the check stops at once)
  const unconfined = solutionDeployment().replace('          ports: [{ containerPort: 80 }]\n', '          ports: [{ containerPort: 80 }]\n          securityContext: { seccompProfile: { type: Unconfined } }\n');
  expect(unconfined).toContain('Unconfined');
  const client = stack.client('student2');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': unconfined }) });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view.state).toBe('graded');
  const available = view.checks.find((c) => c.checkId === 'available');
  expect(available?.status).toBe('fail');
  expect(available?.message?.en).toMatch(/The API server refuses to create the Pods of (Deployment|ReplicaSet)\/web\S* \(pods "web-\S+" is forbidden: violates PodSecurity "baseline:latest": seccompProfile/);
  expect(available?.message?.ja).toContain('作成を拒否されています');
  expect(view.checks.filter((c) => c.status === 'skipped').map((c) => c.checkId)).toEqual(['scaled', 'three-ready']);
  await expectStoppedBeforeTheWait(accepted.id);
  await noNamespaceLeft(accepted.id);
});

it('fails a JMESPath query that meets a missing field, saying what it queried and found — graded, not an error', async () => {
  const client = stack.client('student2');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': solutionDeployment().replace('          ports: [{ containerPort: 80 }]\n', '') }) });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view).toMatchObject({ state: 'graded', score: 7, maxScore: 8 });
  const port = view.checks.find((c) => c.checkId === 'container-port');
  expect(port?.status).toBe('fail');
  expect(port?.message?.en).toContain('JMESPath length(spec.template.spec.containers[0].ports) gave (cannot be evaluated: length() expected argument 1 to be type string,array,object but received type null instead.) (expected: equals 1).');
  expect(port?.message?.ja).toContain('JMESPath length(spec.template.spec.containers[0].ports) の結果は');
  await noNamespaceLeft(accepted.id);
});

it("runs exec and persist as the attempt's ServiceAccount, whose exec reaches no other namespace", async () => {
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab: 'k8s-test-steps', files: handIn('k8s-test-steps', ['app.yaml', 'commands.txt']) });
  const view = await client.waitForResult(accepted.id, 300_000);
  expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
  expect(view.checks.find((c) => c.checkId === 'serves')?.evidence).toMatch(/in web-\S+ as system:serviceaccount:kadai-a-[0-9a-f]{12}:kadai-attempt/);
  expect(view.checks.find((c) => c.checkId === 'kept')?.status).toBe('pass');
  await noNamespaceLeft(accepted.id);

  // two attempts side by side: one's identity may exec in its own namespace (no such Pod: 404), never in the other's (403, before any lookup)
  const sandboxes = new Sandboxes(workerKube());
  const [mine, theirs] = await Promise.all([0, 1].map((i) => sandboxes.create({ submissionId: 'exec-identity', runId: String(i), leaseMs: 120_000 })));
  try {
    const signal = AbortSignal.timeout(30_000);
    expect(await execIn(mine!.attemptConfig, mine!.name, 'nothing-here', undefined, ['true'], signal)).toMatchObject({ exitCode: undefined, failure: expect.stringMatching(/404/) });
    await expect(execIn(mine!.attemptConfig, theirs!.name, 'nothing-here', undefined, ['true'], signal)).rejects.toThrow(new RegExp(`exec in ${theirs!.name}/nothing-here was forbidden to system:serviceaccount:${mine!.name}:kadai-attempt: .*403`));
  } finally {
    await Promise.all([mine, theirs].map((s) => s?.destroy()));
  }
}, 480_000);

it("ends in `error`, not a failed check, when kadai's own per-attempt quota (a guard, not the exercise's) refuses the Pods", async () => {
  // three replicas asking 1Gi of ephemeral storage each: vetting has no bound on it (the exercise
  // does not mention it), kadai's quota (2Gi in all) refuses the third Pod, the Deployment never
  // becomes Available — kadai's limit, so retried and then `error`, never the student's 0
  const greedy = solutionDeployment()
    .replace('replicas: 1', 'replicas: 3')
    .replace('requests: { cpu: 10m, memory: 16Mi }, limits: { cpu: 100m, memory: 64Mi }', "requests: { cpu: 10m, memory: 16Mi, ephemeral-storage: 1Gi }, limits: { cpu: 100m, memory: 64Mi, ephemeral-storage: 1Gi }");
  expect(greedy).toContain('ephemeral-storage: 1Gi');
  const client = stack.client('student1');
  const accepted = await client.submitJson({ lab: 'k8s-test-web', files: web({ 'deployment.yaml': greedy }) });
  const view = await client.waitForResult(accepted.id, 290_000);
  expect(view).toMatchObject({ state: 'error', score: null });
  expect(view.error).toMatch(/problem on kadai's side/);
  expect(stack.logOf('test-worker-1')).toMatch(/kadai's own quota kadai-quota \(a guard, not the exercise's\) refused a Pod of ReplicaSet\/web-/);
  await noNamespaceLeft(accepted.id);
}, 300_000);

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
  expect(outcomes).toHaveLength(5);
}, 600_000);
