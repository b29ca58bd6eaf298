import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';
import { runKadai } from '../support/cli';
import { regraded, reloadLabs } from '../support/lab-reload';
import { until } from '../support/until';

// A lab added or changed in the labs folder takes effect without restarting the api or the worker
// (`kadai labs reload`): a submission records the version it was submitted against, a regrade the
// version it was graded with; a lab that fails validation is refused (file:line) and the old
// version keeps grading. Only a reload publishes the folder: a worker that starts, or still holds
// an older version, grades with the published one, never with its folder's, and a lab folder no
// reload read is neither listed nor graded. A lab whose folder is gone is withdrawn by the next
// reload: no new submissions, what was handed in is still graded. Problems name files relative to
// the labs folder, never the server's paths. The CLI (slow to start on a loaded machine) is run
// twice: `kadai labs reload` for the refusal it prints, `kadai labs status --json`.

let stack: Stack;
let labsDir: string;
let firstWorker: ChildProcess;
let brokenFolderWorker: ChildProcess;
const labYaml = () => path.join(labsDir, 'quiz-ch01', 'lab.yaml');
/** lab.yaml as an API client sees it named: relative to the labs folder. */
const LAB_YAML = path.join('quiz-ch01', 'lab.yaml');
beforeAll(async () => {
  labsDir = mkdtempSync(path.join(tmpdir(), 'kadai-reload-labs-'));
  cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01'), path.join(labsDir, 'quiz-ch01'), { recursive: true });
  stack = await startStack('lab_reload', { redisDb: 10, workers: 0, labsDir, apiEnv: { KADAI_LOOKUP_CACHE_MS: '0' } });
  firstWorker = await stack.startWorker();
}, 240_000); // starting an api and a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const kadai = (args: string[], token: string = stack.tokens.admin) => runKadai(stack.apiUrl, args, { KADAI_TOKEN: token });

const reload = (token?: string) => reloadLabs(stack, token);
const versionOf = async (lab: string) => (await stack.client('student1').lab(lab)).version;
/** A submission of the lab's reference answers, the answer as it is (no client-side error handling). */
const submitRaw = (lab: string) =>
  fetch(`${stack.apiUrl}/v1/submissions`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens.student1}`, 'content-type': 'application/json' }, body: JSON.stringify({ lab, answers: solutionAnswers(lab) }) });
type LabStatus = { id: string; version: string | null; folderVersion: string | null; withdrawnAt: string | null; onReload: string };
/** GET /v1/labs/reload: what the next reload would do (as the instructor unless told). */
async function status(token = stack.tokens.sensei): Promise<{ httpStatus: number; labs: LabStatus[]; errors: Array<{ text: string }> }> {
  const response = await fetch(`${stack.apiUrl}/v1/labs/reload`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { labs?: LabStatus[]; errors?: Array<{ text: string }> };
  return { httpStatus: response.status, labs: body.labs ?? [], errors: body.errors ?? [] };
}

/** quiz-ch01's lab.yaml with question q1 worth `points` (8 points in all as shipped, q1 worth 1). */
const q1Worth = (points: number | string) => readFileSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01', 'lab.yaml'), 'utf8').replace(/(- id: q1\n\s+type: single\n\s+)points: 1/, `$1points: ${points}`);
/** Writes a lab.yaml that fails validation (q1's points not a number); returns that line. */
function breakLabYaml(): { brokenLine: number } {
  const broken = q1Worth('lots');
  writeFileSync(labYaml(), broken);
  return { brokenLine: broken.split('\n').findIndex((line) => line.includes('points: lots')) + 1 };
}
const stopped = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))));

describe('adding or changing a lab without restarting', () => {
  it('regrades with the changed lab, records which version graded it, and keeps the old version when the change is broken', async () => {
    const v1 = await versionOf('quiz-ch01');
    const accepted = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    const first = await stack.client('student1').waitForResult(accepted.id, 60_000);
    expect(first).toMatchObject({ state: 'graded', score: 8, maxScore: 8, labVersion: v1, gradedLabVersion: v1 });

    // q1 is worth 3 points now; nothing is restarted
    writeFileSync(labYaml(), q1Worth(3));
    const changed = await reload();
    expect(changed.status).toBe(200);
    const v2 = changed.labs.find((l) => l.id === 'quiz-ch01')!;
    expect(v2).toMatchObject({ change: 'updated', previousVersion: v1 });
    expect(v2.version).not.toBe(v1);
    expect(await versionOf('quiz-ch01')).toBe(v2.version);

    // the worker follows: the regrade is graded with the new version, and the score follows it
    const second = await regraded(stack, accepted.id, 2);
    expect(second).toMatchObject({ score: 10, maxScore: 10, labVersion: v1, gradedLabVersion: v2.version });

    // a broken lab.yaml is refused naming file:line; the version loaded before keeps grading
    const { brokenLine } = breakLabYaml();
    const refused = kadai(['labs', 'reload']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${LAB_YAML}:${brokenLine}:`);
    expect(refused.err).not.toContain(labsDir);
    expect(refused.err).toMatch(new RegExp(`quiz-ch01 \\(version ${v2.version} kept\\)`));
    expect(await versionOf('quiz-ch01')).toBe(v2.version);
    const third = await regraded(stack, accepted.id, 3);
    expect(third).toMatchObject({ score: 10, maxScore: 10, gradedLabVersion: v2.version });
    const resubmitted = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    expect(await stack.client('student1').waitForResult(resubmitted.id, 60_000)).toMatchObject({ score: 10, labVersion: v2.version, gradedLabVersion: v2.version });
  }, 240_000);

  it('adds a new lab on reload, and only an admin may reload', async () => {
    expect((await reload(stack.tokens.sensei)).status).toBe(403);
    writeFileSync(labYaml(), readFileSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01', 'lab.yaml'), 'utf8'));
    cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch02'), path.join(labsDir, 'quiz-ch02'), { recursive: true });
    const added = await reload();
    expect(added.status).toBe(200);
    expect(added.labs.map((l) => [l.id, l.change])).toEqual([
      ['quiz-ch01', 'updated'],
      ['quiz-ch02', 'added'],
    ]);
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch02']);
    const [row] = await stack.sql<{ actions: string[] }>(`SELECT array_agg(action ORDER BY at) AS actions FROM audit_log WHERE action = 'labs-reload'`);
    expect(row!.actions).toHaveLength(3);
  }, 60_000);

  it('keeps a worker that starts, or still holds an old version, on the published version: never its folder\'s unreloaded edit', async () => {
    // published: quiz-ch01 as shipped (8 points); the first worker holds it
    const published = await versionOf('quiz-ch01');
    const accepted = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    expect(await stack.client('student1').waitForResult(accepted.id, 60_000)).toMatchObject({ score: 8, gradedLabVersion: published });

    // q1 worth 3, reloaded: published (10 points). The first worker has graded nothing since: it still holds the old version
    writeFileSync(labYaml(), q1Worth(3));
    const changed = (await reload()).labs.find((l) => l.id === 'quiz-ch01')!;
    expect(changed).toMatchObject({ change: 'updated', previousVersion: published });

    // then q1 worth 5 in the folder, and a lab folder no reload has read: a worker starting now publishes neither
    writeFileSync(labYaml(), q1Worth(5));
    cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch03'), path.join(labsDir, 'quiz-ch03'), { recursive: true });
    const second = await stack.startWorker({ KADAI_WORKER_ID: 'test-worker-unreloaded' });
    expect(await versionOf('quiz-ch01')).toBe(changed.version);
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch02']);
    expect((await submitRaw('quiz-ch03')).status).toBe(404);
    await until('the unpublished folder in the log', async () => stack.logOf('test-worker-unreloaded').includes('lab quiz-ch03: in the labs folder') || undefined, 10_000);
    const waiting = await status();
    expect(waiting.labs.find((l) => l.id === 'quiz-ch03')).toMatchObject({ version: null, folderVersion: expect.any(String), onReload: 'add' });
    expect(waiting.labs.find((l) => l.id === 'quiz-ch01')).toMatchObject({ version: changed.version, folderVersion: expect.not.stringMatching(changed.version!), onReload: 'update' });
    // the same through the CLI (an instructor's token), as JSON
    const statusCli = kadai(['labs', 'status', '--json'], stack.tokens.sensei);
    expect(statusCli.code).toBe(0);
    expect(JSON.parse(statusCli.out)).toEqual({ labs: waiting.labs, errors: [] });
    await stopped(second);

    // the worker holding the old version grades with the published one (10 points), not its folder's (12), and says so
    expect(await regraded(stack, accepted.id, 2)).toMatchObject({ score: 10, maxScore: 10, labVersion: published, gradedLabVersion: changed.version });
    expect(await versionOf('quiz-ch01')).toBe(changed.version);

    // a broken lab.yaml does not stop a worker from starting: it logs the refusal (file:line) and grades the published version
    const { brokenLine } = breakLabYaml();
    brokenFolderWorker = await stack.startWorker({ KADAI_WORKER_ID: 'test-worker-broken-folder' });
    await until('the refusal in the log', async () => stack.logOf('test-worker-broken-folder').includes(`${LAB_YAML}:${brokenLine}:`) || undefined, 10_000);
    await stopped(firstWorker);
    expect(await regraded(stack, accepted.id, 3)).toMatchObject({ score: 10, gradedLabVersion: changed.version });

    // instructors see the refusal (the folder as it is now, the version graded with); the refused reload published the others
    const refusal = await reload();
    expect(refusal.status).toBe(422);
    expect(refusal.body.detail).toContain('quiz-ch03 added');
    expect((await status(stack.tokens.student1)).httpStatus).toBe(403);
    const refusedNow = await status(stack.tokens.sensei);
    expect(refusedNow.labs.find((l) => l.id === 'quiz-ch01')).toEqual({ id: 'quiz-ch01', version: changed.version, folderVersion: null, withdrawnAt: null, onReload: 'refuse' });
    expect(refusedNow.errors.map((e) => e.text)).toEqual([expect.stringContaining(`${LAB_YAML}:${brokenLine}:`)]);
    expect(JSON.stringify(refusedNow)).not.toContain(labsDir);
  }, 420_000);

  it('withdraws a lab whose folder is gone: out of the catalog, no new submissions or assignments, what was handed in still graded; its folder back restores it', async () => {
    // no worker runs: a submission handed in now waits, queued, through the withdrawal
    await stopped(brokenFolderWorker);
    writeFileSync(labYaml(), readFileSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01', 'lab.yaml'), 'utf8'));
    const quizCh02 = await versionOf('quiz-ch02');
    const pending = await stack.client('student1').submitJson({ lab: 'quiz-ch02', answers: solutionAnswers('quiz-ch02') });

    const away = mkdtempSync(path.join(tmpdir(), 'kadai-reload-away-'));
    renameSync(path.join(labsDir, 'quiz-ch02'), path.join(away, 'quiz-ch02'));
    const withdrawn = await reload();
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.labs.map((l) => [l.id, l.change])).toEqual([
      ['quiz-ch01', 'updated'],
      ['quiz-ch02', 'withdrawn'],
      ['quiz-ch03', 'unchanged'],
    ]);
    expect(withdrawn.labs.find((l) => l.id === 'quiz-ch02')).toMatchObject({ version: quizCh02, previousVersion: quizCh02 });

    // out of the catalog; still readable (earlier results need it), marked withdrawn; no new submission or assignment
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch03']);
    expect(await stack.client('student1').lab('quiz-ch02')).toMatchObject({ version: quizCh02, withdrawnAt: expect.any(String) });
    const refused = await submitRaw('quiz-ch02');
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { title: string }).title).toBe('Lab withdrawn');
    const assigned = await fetch(`${stack.apiUrl}/v1/courses/demo/assignments`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ labId: 'quiz-ch02' }) });
    expect(assigned.status).toBe(422);
    expect((await status()).labs.find((l) => l.id === 'quiz-ch02')).toMatchObject({ version: quizCh02, folderVersion: null, withdrawnAt: expect.any(String), onReload: 'none' });

    // the lab's page says so, with no form to hand in work
    const signIn = await fetch(`${stack.apiUrl}/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(stack.tokens.student1)}` });
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    const page = async (lab: string) => (await fetch(`${stack.apiUrl}/courses/demo/labs/${lab}?lang=en`, { headers: { cookie } })).text();
    const withdrawnPage = await page('quiz-ch02');
    expect(withdrawnPage).toContain('This lab has been withdrawn');
    expect(withdrawnPage).not.toContain('id="submit-form"');
    expect(await page('quiz-ch01')).toContain('id="submit-form"');

    // what was handed in before is graded, with the version published then
    await stack.startWorker();
    expect(await stack.client('student1').waitForResult(pending.id, 60_000)).toMatchObject({ state: 'graded', gradedLabVersion: quizCh02 });

    // a labs folder holding no lab (mounted wrong, emptied by mistake) withdraws nothing
    for (const id of ['quiz-ch01', 'quiz-ch03']) renameSync(path.join(labsDir, id), path.join(away, id));
    const empty = await reload();
    expect(empty.status).toBe(422);
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch03']);
    for (const id of ['quiz-ch01', 'quiz-ch02', 'quiz-ch03']) renameSync(path.join(away, id), path.join(labsDir, id));
    rmSync(away, { recursive: true, force: true });

    // its folder back: the next reload restores it
    const restored = await reload();
    expect(restored.labs.find((l) => l.id === 'quiz-ch02')).toMatchObject({ change: 'restored', version: quizCh02 });
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch02', 'quiz-ch03']);
    expect((await submitRaw('quiz-ch02')).status).toBe(202);
    const [row] = await stack.sql<{ changed: Array<{ id: string; change: string }> }>(`SELECT detail->'changed' AS changed FROM audit_log WHERE action = 'labs-reload' ORDER BY id DESC LIMIT 1`);
    expect(row!.changed).toEqual([{ id: 'quiz-ch02', change: 'restored', version: quizCh02, previousVersion: quizCh02 }]);
  }, 300_000);
});
