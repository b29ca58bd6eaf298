import type { CheckRow, SubmissionView } from '@kadai/client';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// The steps that reach the student's objects from inside the cluster — `http`, `rolloutWatch`,
// `killContainer` — and the per-attempt rewrite of names the cluster shares, through the real api,
// worker and local cluster (the worker as its fenced identity, the probe Pod in each attempt's
// namespace under the attempt's NetworkPolicy). Labs: test/kubernetes/labs/k8s-test-{http,rollout,kill}.

const LABS = path.join(REPO_ROOT, 'test/kubernetes/labs');
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('k8s_probe', { redisDb: 15, workers: 1, labsDir: LABS, workerEnv: { KADAI_CONCURRENCY_KUBERNETES: '2' } });
}, 300_000);
afterAll(() => stack?.stop());

/** The files of a lab's solution, or of a wrong variant (its own files over the solution's). */
function handIn(lab: string, variant = 'solution'): Record<string, string> {
  const files = (parse(readFileSync(path.join(LABS, lab, 'lab.yaml'), 'utf8')) as { submission: { files: { path: string }[] } }).submission.files.map((f) => f.path);
  const from = (file: string) => [path.join(LABS, lab, variant, file), path.join(LABS, lab, 'solution', file)].find((p) => existsSync(p))!;
  return Object.fromEntries(files.map((file) => [file, readFileSync(from(file), 'utf8')]));
}

async function grade(lab: string, variant?: string, who: 'student1' | 'student2' = 'student1'): Promise<SubmissionView> {
  const client = stack.client(who);
  const accepted = await client.submitJson({ lab, files: handIn(lab, variant) });
  return client.waitForResult(accepted.id, 400_000);
}

const statuses = (view: SubmissionView) => Object.fromEntries(view.checks.map((c) => [c.checkId, c.status]));
/** Every check's status, and for an unexpected one its message and evidence (what a failing run needs to show). */
const outcome = (view: SubmissionView, expected: Record<string, string>) => ({
  state: view.state,
  checks: statuses(view),
  unexpected: view.checks.filter((c) => c.status !== expected[c.checkId]).map((c) => `${c.checkId}: ${c.message?.en ?? view.error}\n${c.evidence ?? ''}`),
});
const expectOutcome = (view: SubmissionView, checks: Record<string, string>) => expect(outcome(view, checks)).toEqual({ state: 'graded', checks, unexpected: [] });
/** One check's row, with the message and evidence a graded check always has (students see them: visible checks). */
function check(view: SubmissionView, id: string): CheckRow & { message: { ja: string; en: string }; evidence: string } {
  const row = view.checks.find((c) => c.checkId === id);
  if (!row?.message) throw new Error(`no graded check ${id} in ${JSON.stringify(view.checks.map((c) => c.checkId))}`);
  return { ...row, message: row.message, evidence: row.evidence ?? '' };
}

describe('http', () => {
  it('two attempts of the same lab at once, both with nodePort 30080 and a host-less Ingress: both reach everything and pass', async () => {
    const [first, second] = await Promise.all([grade('k8s-test-http', 'solution', 'student1'), grade('k8s-test-http', 'solution', 'student2')]);
    for (const view of [first, second]) {
      expectOutcome(view, { applied: 'pass', 'by-name': 'pass', spread: 'pass', 'by-cluster-ip': 'pass', 'by-node-port': 'pass', 'by-load-balancer': 'pass', 'by-ingress': 'pass', 'by-default-backend': 'pass', 'node-port-declared': 'pass' });
      expect(view.score).toBe(view.maxScore);
      // the probe followed the rewritten values: an allocated NodePort, the attempt's own Ingress host
      expect(check(view, 'by-node-port').evidence).toMatch(/target: NodePort (\d+) on the probe's node/);
      expect(check(view, 'by-node-port').evidence).not.toContain('NodePort 30080 ');
      expect(check(view, 'by-ingress').evidence).toMatch(/Host: kadai-a-[0-9a-f]{12}\.kadai\.invalid/);
      expect(check(view, 'spread').message.en).toMatch(/20 request\(s\) .* answered as expected \(2 Pods\)/);
      expect(check(view, 'by-name').evidence).toMatch(/✓ #0 \+\d+ms 200 \d+ms from echo-/);
    }
    const ports = [first, second].map((v) => /NodePort (\d+)/.exec(check(v, 'by-node-port').evidence ?? '')?.[1]);
    expect(ports[0]).not.toBe(ports[1]);
  }, 420_000);

  it('a Service sending to a port nothing listens on fails every way through it, for that reason; the other Services pass', async () => {
    const view = await grade('k8s-test-http', 'wrong/wrong-port', 'student2');
    expectOutcome(view, { applied: 'pass', 'by-name': 'fail', spread: 'fail', 'by-cluster-ip': 'fail', 'by-node-port': 'pass', 'by-load-balancer': 'pass', 'by-ingress': 'fail', 'by-default-backend': 'fail', 'node-port-declared': 'pass' });
    const byName = check(view, 'by-name');
    expect(byName.message).toEqual({ ja: expect.stringContaining('の応答が期待と違います'), en: expect.stringMatching(/^Service echo port 80 \/hello did not answer as expected: connection refused/) });
    expect(byName.evidence).toMatch(/✗ #0 \+\d+ms no answer \d+ms — connection refused/);
    // the Ingress answers, but its backend does not
    expect(check(view, 'by-ingress').message.en).toMatch(/did not answer as expected: status 50\d, expected 200/);
  }, 420_000);
});

describe('rolloutWatch', () => {
  it('nginx:1.21 → nginx:1.22 with maxUnavailable 0 under 20 requests/s: no failed request, old then new, never below 3 ready', async () => {
    const view = await grade('k8s-test-rollout');
    expectOutcome(view, { 'v1-applied': 'pass', 'v1-available': 'pass', rollout: 'pass' });
    const rollout = check(view, 'rollout');
    expect(rollout.message.en).toMatch(/all \d+ requests succeeded, the versions switched old → new and ready replicas never went below 3/);
    expect(rollout.evidence).toMatch(/✓ versions nginx:1\.21 → nginx:1\.22: expected old first, new last, actual old \d+, new \d+/);
    expect(rollout.evidence).toMatch(/ReplicaSet web-\w+ revision 2: nginx:1\.22/);
    expect(rollout.evidence).not.toContain('failed requests (');
  }, 420_000);

  it('the Recreate strategy fails: every failed request is listed, ready replicas reach 0', async () => {
    const view = await grade('k8s-test-rollout', 'wrong/recreate', 'student2');
    expectOutcome(view, { 'v1-applied': 'pass', 'v1-available': 'pass', rollout: 'fail' });
    const rollout = check(view, 'rollout');
    expect(rollout.message.en).toMatch(/^Rollout of Deployment web: \d+ of \d+ requests failed during the rollout\./);
    expect(rollout.message.ja).toMatch(/件のリクエストが失敗しました/);
    // every failed request is listed: runs of consecutive ones failing alike on one line each
    const listed = /--- failed requests \((\d+)\) ---\n((?:#\d+.*\n?)+)/.exec(rollout.evidence);
    expect(listed).not.toBeNull();
    const count = Number(listed![1]);
    expect(count).toBeGreaterThan(0);
    const covered = listed![2]!.trim().split('\n').reduce((n, l) => n + Number(/^#\d+–#\d+ \((\d+)\)/.exec(l)?.[1] ?? 1), 0);
    expect(covered).toBe(count);
    expect(listed![2]).toMatch(/: (connection refused|timeout)/);
    expect(rollout.message.en).toContain(`${count} of`);
    expect(rollout.evidence).toMatch(/lowest ready replicas: expected at least 0 \(Recreate, replicas 3, maxUnavailable 3\), actual 0/);
  }, 420_000);
});

describe('killContainer', () => {
  it('a killed container of a restartPolicy Always Pod comes back; one of a Never Pod stays down', async () => {
    const view = await grade('k8s-test-kill');
    expectOutcome(view, { applied: 'pass', 'always-ready': 'pass', 'once-ready': 'pass', 'always-restarts': 'pass', 'once-stays-down': 'pass' });
    expect(check(view, 'always-restarts').evidence).toMatch(/✓ restartCount: expected more than 0, actual 1/);
    expect(check(view, 'always-restarts').evidence).toMatch(/last termination: exit 137/);
    expect(check(view, 'once-stays-down').evidence).toMatch(/✓ restartCount: expected still 0, actual 0/);
  }, 300_000);

  it('restartPolicy Never where Always is expected fails for that reason', async () => {
    const view = await grade('k8s-test-kill', 'wrong/never-restarts', 'student2');
    expectOutcome(view, { applied: 'pass', 'always-ready': 'pass', 'once-ready': 'pass', 'always-restarts': 'fail', 'once-stays-down': 'pass' });
    expect(check(view, 'always-restarts').message.en).toBe('Container web of Pod always was not restarted after it was killed (restartPolicy Never).');
  }, 300_000);
});
