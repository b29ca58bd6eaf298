import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, solutionAnswers, startStack, type Stack, FAST_LEASE_ENV } from '../support/stack';
import { forgetLabFiles } from '../support/lab-reload';
import { until } from '../support/until';

// Grading outcomes people can trust, through the real api and worker processes: errors use no
// attempt (capped), regrades never erase a grade, students see kadai's failures in their words and
// no quiz key, and one grading at a time when a worker stalls past its lease.
const FAST = FAST_LEASE_ENV;

let stack: Stack;
/**
 * A labs folder holding quiz-ch02 only: a worker started on it holds no other lab of its own, and
 * fails one whose published files are gone (forgetLabFiles) as an infrastructure error.
 */
let staleCatalog: string;
beforeAll(async () => {
  staleCatalog = mkdtempSync(path.join(tmpdir(), 'kadai-stale-catalog-'));
  cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch02'), path.join(staleCatalog, 'quiz-ch02'), { recursive: true });
  stack = await startStack('outcomes', { redisDb: 8, workers: 0, workerEnv: FAST, apiEnv: { KADAI_FREE_ERROR_CAP: '2', KADAI_LOOKUP_CACHE_MS: '0' } });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
const stop = async (worker: ChildProcess) => {
  worker.kill('SIGTERM');
  expect(await exited(worker)).toBe(0);
};
const staleWorker = () => stack.startWorker({ KADAI_WORKER_ID: `stale-catalog-${Date.now()}`, KADAI_LABS_DIR: staleCatalog });
const post = (url: string, token: string, body: unknown = {}) => fetch(`${stack.apiUrl}${url}`, { method: 'POST', headers: auth(token), body: JSON.stringify(body) });
const submit = (who: 'student1' | 'student2' | 'sensei', lab: string, answers = solutionAnswers(lab)) => post('/v1/submissions', stack.tokens[who], { lab, answers });
const resultOf = async (login: string, labId: string) => {
  const [course] = await stack.sql<{ id: string }>(`SELECT id FROM courses LIMIT 1`);
  const response = await fetch(`${stack.apiUrl}/v1/courses/${course!.id}/results`, { headers: auth(stack.tokens.sensei) });
  const { results } = (await response.json()) as { results: Array<Record<string, unknown>> };
  return results.find((r) => r.login === login && r.labId === labId)!;
};

const rowOf = async (id: string) =>
  (await stack.sql(`SELECT state, worker_id, lease_token, grading_run, graded_run, score::float8 AS score FROM submissions WHERE id = $1`, [id]))[0]!;
const reaches = (id: string, state: string) => until(`${id} reaches ${state}`, async () => ((await rowOf(id)).state === state ? rowOf(id) : undefined));

describe('an error is kadai’s failure, not the student’s', () => {
  it('uses no attempt, says so in the student’s words (the detail is for instructors), and is capped per student and lab', async () => {
    await stack.sql(`UPDATE assignments SET max_attempts = 1 WHERE lab_id = 'quiz-ch01'`);
    await forgetLabFiles(stack, 'quiz-ch01');
    const stale = await staleWorker();
    const first = (await (await submit('student1', 'quiz-ch01')).json()) as { id: string };
    const failed = await stack.client('student1').waitForResult(first.id, 20_000);
    expect(failed).toMatchObject({ state: 'error', score: null, gradedRun: null });
    expect(failed.error).not.toMatch(/catalog|grader|worker/);
    expect(failed.notice?.en).toMatch(/problem on kadai's side\. It does not count as an attempt/);
    expect(failed.notice?.ja).toMatch(/試行回数に数えられません/);
    expect((await stack.client('sensei').submission(first.id)).error).toMatch(/lab quiz-ch01 version \w+ is published without its files/);

    // the assignment allows one attempt, and the error did not use it
    const second = await submit('student1', 'quiz-ch01');
    expect(second.status).toBe(202);
    const secondId = ((await second.json()) as { id: string }).id;
    await stack.client('student1').waitForResult(secondId, 20_000);
    expect(await resultOf('student1', 'quiz-ch01')).toMatchObject({ attempts: 0, score: null });

    // two free errors is this deployment's cap (KADAI_FREE_ERROR_CAP=2): the third is refused, saying why
    const third = await submit('student1', 'quiz-ch01');
    expect(third.status).toBe(409);
    expect(third.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await third.json()) as { detail: string }).detail).toMatch(/2 of your submissions to quiz-ch01 ended in error on kadai's side.*ask your instructor to regrade them/);
    await stop(stale);

    // the instructor regrades one on a sound worker (which publishes the lab's files again): it is graded, and now uses the attempt
    const sound = await stack.startWorker();
    expect((await post(`/v1/submissions/${first.id}/regrade`, stack.tokens.sensei)).status).toBe(202);
    expect(await reaches(first.id, 'graded')).toMatchObject({ score: 8, graded_run: 2 });
    expect(await resultOf('student1', 'quiz-ch01')).toMatchObject({ attempts: 1, score: 8, submissionId: first.id });
    const fourth = await submit('student1', 'quiz-ch01');
    expect(fourth.status).toBe(409);
    expect(((await fourth.json()) as { detail: string }).detail).toMatch(/no attempts left/);
    await stop(sound);
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
});

describe('a regrade never erases a grade', () => {
  it('keeps the previous grade counted and visible until the new run records one, and after a regrade ending in error', async () => {
    let worker = await stack.startWorker();
    const { id } = (await (await submit('student2', 'quiz-ch03')).json()) as { id: string };
    const graded = await stack.client('student2').waitForResult(id, 20_000);
    expect(graded).toMatchObject({ state: 'graded', score: 6, gradedRun: 1 });
    await stop(worker);

    // queued for a regrade, with no worker to take it: the grade stays in class results and the view
    expect((await post(`/v1/submissions/${id}/regrade`, stack.tokens.sensei, { reason: 'key fixed' })).status).toBe(202);
    expect(await resultOf('student2', 'quiz-ch03')).toMatchObject({ score: 6, state: 'queued', submissionId: id });
    const waiting = await stack.client('student2').submission(id);
    expect(waiting).toMatchObject({ state: 'queued', score: 6, gradingRun: 2, gradedRun: 1 });
    expect(waiting.checks).toHaveLength(graded.checks.length);

    // the regrade ends in error (a worker without the lab): the earned grade stands
    await forgetLabFiles(stack, 'quiz-ch03');
    worker = await staleWorker();
    expect(await reaches(id, 'error')).toMatchObject({ score: 6, graded_run: 1, grading_run: 2 });
    const afterError = await stack.client('student2').submission(id);
    expect(afterError).toMatchObject({ state: 'error', score: 6, gradedRun: 1 });
    expect(afterError.notice?.en).toMatch(/Your previous grade stands/);
    expect(afterError.error).not.toMatch(/catalog/);
    expect(await resultOf('student2', 'quiz-ch03')).toMatchObject({ score: 6, state: 'error', attempts: 1 });
    await stop(worker);

    // a regrade that records a grade replaces it
    worker = await stack.startWorker();
    expect((await post(`/v1/submissions/${id}/regrade`, stack.tokens.sensei)).status).toBe(202);
    expect(await reaches(id, 'graded')).toMatchObject({ score: 6, graded_run: 3, grading_run: 3 });
    await stop(worker);
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores

  it('cannot be started or overridden by an instructor on their own submission', async () => {
    const worker = await stack.startWorker();
    const { id } = (await (await submit('sensei', 'quiz-ch04')).json()) as { id: string };
    await stack.client('sensei').waitForResult(id, 20_000);
    const regrade = await post(`/v1/submissions/${id}/regrade`, stack.tokens.sensei);
    expect(regrade.status).toBe(403);
    expect(((await regrade.json()) as { detail: string }).detail).toMatch(/is your own/);
    expect((await post(`/v1/submissions/${id}/override`, stack.tokens.sensei, { score: 1, reason: 'mine' })).status).toBe(403);
    expect(await stack.sql(`SELECT action FROM audit_log WHERE subject = $1`, [`submission:${id}`])).toEqual([]);
    expect((await post(`/v1/submissions/${id}/regrade`, stack.tokens.admin)).status).toBe(202);
    await reaches(id, 'graded');
    await stop(worker);
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
});

describe('what a student sees of practice work', () => {
  it('never releases after_due feedback of a quiz with no assignment or no due date, and no evidence holds the key', async () => {
    await stack.sql(`DELETE FROM assignments WHERE lab_id = 'quiz-ch05'`);
    await stack.sql(`UPDATE assignments SET due_at = NULL WHERE lab_id = 'quiz-ch06'`);
    const worker = await stack.startWorker();
    for (const lab of ['quiz-ch05', 'quiz-ch06']) {
      const answers = Object.fromEntries(Object.keys(solutionAnswers(lab)).map((q) => [q, ['zz-not-a-choice']]));
      const wrong = await submit('student1', lab, answers);
      expect(wrong.status).toBe(422); // still validated: only real choices
      const { id } = (await (await submit('student1', lab)).json()) as { id: string };
      const mine = await stack.client('student1').waitForResult(id, 20_000);
      expect(mine.state).toBe('graded');
      expect(mine.checks.length).toBeGreaterThan(0);
      expect(mine.checks.every((c) => !c.released && c.message === undefined && c.evidence === undefined)).toBe(true);
      const admin = await stack.client('admin').submission(id);
      expect(admin.checks.every((c) => c.released && /^selected: /.test(c.evidence ?? '') && !/expected/.test(c.evidence ?? ''))).toBe(true);
    }
    await stop(worker);
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
});

describe('one grading at a time', () => {
  it("refuses a stalled worker's late write once another worker took its lease over; the second worker's result stands", async () => {
    // 'paused' claims, then waits 3 s before grading (fault injection): it is frozen in that window.
    const paused = await stack.startWorker({ KADAI_WORKER_ID: 'paused', KADAI_FAULT_DELAY_MS: '3000' });
    const { id } = (await (await submit('student2', 'quiz-ch07')).json()) as { id: string };
    expect(await reaches(id, 'running')).toMatchObject({ worker_id: 'paused', lease_token: 1 });
    paused.kill('SIGSTOP'); // a stalled process: no heartbeat, its BullMQ lock and lease run out
    const rescuer = await stack.startWorker({ KADAI_WORKER_ID: 'rescuer' });
    const graded = await until('the rescuer grades', async () => {
      const row = await rowOf(id);
      return row.state === 'graded' ? row : undefined;
    });
    expect(graded).toMatchObject({ worker_id: 'rescuer', lease_token: 2, score: 7, graded_run: 1 });

    paused.kill('SIGCONT');
    await until("the paused worker's write is refused", async () => (/write refused: the lease was taken over/.test(stack.logOf('paused')) ? true : undefined));
    expect(await rowOf(id)).toEqual(graded);
    expect(await stack.sql(`SELECT grading_run, count(*)::int AS n FROM check_results WHERE submission_id = $1 GROUP BY grading_run`, [id])).toEqual([{ grading_run: 1, n: 7 }]);
    expect(await stack.client('student2').submission(id)).toMatchObject({ state: 'graded', score: 7 });
    await stop(paused);
    await stop(rescuer);
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
});
