import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
// an older version, grades with the published one, never with its folder's. The CLI's
// `kadai labs reload` is run once, for the refusal it prints.

let stack: Stack;
let labsDir: string;
let firstWorker: ChildProcess;
const labYaml = () => path.join(labsDir, 'quiz-ch01', 'lab.yaml');
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
    expect(refused.err).toContain(`${labYaml()}:${brokenLine}:`);
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

    // then q1 worth 5 in the folder, not reloaded: a worker starting now does not publish it
    writeFileSync(labYaml(), q1Worth(5));
    const second = await stack.startWorker();
    expect(await versionOf('quiz-ch01')).toBe(changed.version);
    await stopped(second);

    // the worker holding the old version grades with the published one (10 points), not its folder's (12), and says so
    expect(await regraded(stack, accepted.id, 2)).toMatchObject({ score: 10, maxScore: 10, labVersion: published, gradedLabVersion: changed.version });
    expect(await versionOf('quiz-ch01')).toBe(changed.version);

    // a broken lab.yaml does not stop a worker from starting: it logs the refusal (file:line) and grades the published version
    const { brokenLine } = breakLabYaml();
    await stack.startWorker({ KADAI_WORKER_ID: 'test-worker-broken-folder' });
    await until('the refusal in the log', async () => stack.logOf('test-worker-broken-folder').includes(`${labYaml()}:${brokenLine}:`) || undefined, 10_000);
    await stopped(firstWorker);
    expect(await regraded(stack, accepted.id, 3)).toMatchObject({ score: 10, gradedLabVersion: changed.version });

    // instructors see the refusal: the folder as the api last read it, the version graded with
    expect((await reload()).status).toBe(422);
    const folders = async (token: string) => fetch(`${stack.apiUrl}/v1/labs/reload`, { headers: { authorization: `Bearer ${token}` } });
    expect((await folders(stack.tokens.student1)).status).toBe(403);
    const status = (await (await folders(stack.tokens.sensei)).json()) as { labs: Array<{ id: string; version: string | null; folderVersion: string | null }>; errors: Array<{ text: string }> };
    expect(status.labs.find((l) => l.id === 'quiz-ch01')).toEqual({ id: 'quiz-ch01', version: changed.version, folderVersion: null });
    expect(status.errors.map((e) => e.text)).toEqual([expect.stringContaining(`${labYaml()}:${brokenLine}:`)]);
  }, 420_000);
});
