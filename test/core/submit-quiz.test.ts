import { createPool, newToken, storeToken, upsertUser } from '@kadai/db';
import { packDirectory } from '@kadai/intake';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('submit_quiz', { redisDb: 1 });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('a quiz submitted over HTTP', () => {
  it('is accepted with 202 and a Location, graded by the worker, and scored in full', async () => {
    const response = await fetch(`${stack.apiUrl}/v1/submissions`, {
      method: 'POST',
      headers: { ...auth(stack.tokens.student1), 'content-type': 'application/json' },
      body: JSON.stringify({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as any;
    expect(response.headers.get('location')).toBe(`/v1/submissions/${body.id}`);
    const view = await stack.client('student1').waitForResult(body.id, 10_000);
    expect(view).toMatchObject({ state: 'graded', score: 8, maxScore: 8, attempt: 1 });
  });

  it('shows a student only the checks released to them, and an instructor all of them', async () => {
    const answers = { ...solutionAnswers('quiz-ch02'), q1: ['3'] };
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch02', answers });
    const studentView = await stack.client('student1').waitForResult(id, 10_000);
    expect(studentView.score).toBeLessThan(studentView.maxScore!);
    // quizzes release per-question feedback after the due date (visibility: after_due)
    expect(studentView.checks.every((c) => !c.released && c.message === undefined)).toBe(true);
    const teacherView = await stack.client('sensei').submission(id);
    const q1 = teacherView.checks.find((c) => c.checkId === 'q1')!;
    expect(q1).toMatchObject({ released: true, status: 'fail', points: 0 });
    expect(q1.message?.ja).toMatch(/不正解|部分的/);
    expect(q1.evidence).toContain('selected: 3');
  });

  it('accepts a tar.gz archive through multipart and numbers the attempts', async () => {
    const archive = await packDirectory(path.join(REPO_ROOT, 'labs/quiz-ch03/solution'));
    const first = await stack.client('student2').submitArchive('quiz-ch03', archive);
    const second = await stack.client('student2').submitArchive('quiz-ch03', archive);
    expect([first.attempt, second.attempt]).toEqual([1, 2]);
    const view = await stack.client('student2').waitForResult(second.id, 10_000);
    expect(view.score).toBe(view.maxScore);
  });

  it('accepts a folder packed the common way, `tar -C dir -czf work.tgz .` ("./" entry, ./ names)', async () => {
    const solution = path.join(REPO_ROOT, 'labs/quiz-ch05/solution');
    const archive = execFileSync('tar', ['-C', solution, '-czf', '-', '.']);
    expect(execFileSync('tar', ['-tzf', '-'], { input: archive }).toString().split('\n')[0]).toBe('./');
    const { id } = await stack.client('student1').submitArchive('quiz-ch05', archive);
    const view = await stack.client('student1').waitForResult(id, 10_000);
    expect(view).toMatchObject({ state: 'graded' });
    expect(view.score).toBe(view.maxScore);
  });

  it('numbers concurrent attempts of one student without gaps or duplicates', async () => {
    const client = stack.client('student2');
    const accepted = await Promise.all(Array.from({ length: 20 }, () => client.submitJson({ lab: 'quiz-ch09', answers: solutionAnswers('quiz-ch09') })));
    expect(accepted.map((a) => a.attempt).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('honours Idempotency-Key: the same key returns the same submission, stored once', async () => {
    const body = { lab: 'quiz-ch04', answers: solutionAnswers('quiz-ch04') };
    const first = await stack.client('student1').submitJson(body, 'key-123');
    const again = await stack.client('student1').submitJson(body, 'key-123');
    expect(again.id).toBe(first.id);
    const rows = await stack.sql(`SELECT count(*)::int AS n FROM submissions WHERE idempotency_key = 'key-123'`);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("keeps a student out of another student's submission", async () => {
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch05', answers: solutionAnswers('quiz-ch05') });
    const response = await fetch(`${stack.apiUrl}/v1/submissions/${id}`, { headers: auth(stack.tokens.student2) });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('streams state changes as Server-Sent Events ending at a terminal state', async () => {
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch06', answers: solutionAnswers('quiz-ch06') });
    const response = await fetch(`${stack.apiUrl}/v1/submissions/${id}/events`, { headers: auth(stack.tokens.student1) });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events[events.length - 1]).toBe('graded');
  });
});

describe('instructors', () => {
  it('regrade a submission as a new grading run, audited; students may not', async () => {
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch07', answers: solutionAnswers('quiz-ch07') });
    await stack.client('student1').waitForResult(id, 10_000);
    const denied = await fetch(`${stack.apiUrl}/v1/submissions/${id}/regrade`, { method: 'POST', headers: auth(stack.tokens.student1) });
    expect(denied.status).toBe(403);
    const response = await fetch(`${stack.apiUrl}/v1/submissions/${id}/regrade`, { method: 'POST', headers: auth(stack.tokens.sensei) });
    expect(response.status).toBe(202);
    const view = await stack.client('sensei').waitForResult(id, 10_000);
    expect(view).toMatchObject({ state: 'graded', gradingRun: 2, score: view.maxScore });
    const audit = await stack.sql(`SELECT action FROM audit_log WHERE subject = $1`, [`submission:${id}`]);
    expect(audit).toEqual([{ action: 'regrade' }]);
  });

  it('override a score by hand with a reason, audited; past the maximum is refused', async () => {
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch10', answers: { q1: ['1'] } });
    await stack.client('student1').waitForResult(id, 10_000);
    const post = (body: unknown, token = stack.tokens.sensei) =>
      fetch(`${stack.apiUrl}/v1/submissions/${id}/override`, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ score: 2, reason: 'q1 wording was ambiguous' }, stack.tokens.student1)).status).toBe(403);
    expect((await post({ score: 99, reason: 'too much' })).status).toBe(409);
    expect((await post({ score: 2 })).status).toBe(422);
    const response = await post({ score: 2, reason: 'q1 wording was ambiguous' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).score).toBe(2);
    const audit = await stack.sql(`SELECT action, detail FROM audit_log WHERE subject = $1`, [`submission:${id}`]);
    expect(audit).toEqual([{ action: 'override', detail: { from: 0, to: 2, reason: 'q1 wording was ambiguous' } }]);
  });

  it("of another course cannot see, regrade or override this course's submissions", async () => {
    const db = createPool(stack.databaseUrl, 1);
    const outsider = newToken();
    await storeToken(db, await upsertUser(db, 'other-sensei', 'Other', 'instructor'), outsider, 'test');
    await db.end();
    const { id } = await stack.client('student1').submitJson({ lab: 'quiz-ch05', answers: solutionAnswers('quiz-ch05') });
    await stack.client('student1').waitForResult(id, 10_000);
    expect((await fetch(`${stack.apiUrl}/v1/submissions/${id}`, { headers: auth(outsider) })).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/v1/submissions/${id}/regrade`, { method: 'POST', headers: auth(outsider) })).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/v1/submissions/${id}`, { headers: auth(stack.tokens.sensei) })).status).toBe(200);
  });

  it('regrade a whole assignment', async () => {
    const [assignment] = await stack.sql<{ id: string }>(`SELECT id FROM assignments WHERE lab_id = 'quiz-ch01'`);
    const response = await fetch(`${stack.apiUrl}/v1/assignments/${assignment!.id}/regrade`, { method: 'POST', headers: auth(stack.tokens.sensei) });
    expect(response.status).toBe(202);
    expect(((await response.json()) as any).regrading).toBeGreaterThanOrEqual(1);
  });

  it('see class results as JSON and CSV, with best-score selection; students may not', async () => {
    await stack.client('student2').submitJson({ lab: 'quiz-ch08', answers: { q1: ['1'] } });
    const best = await stack.client('student2').submitJson({ lab: 'quiz-ch08', answers: solutionAnswers('quiz-ch08') });
    await stack.client('student2').waitForResult(best.id, 10_000);
    const json = (await (await fetch(`${stack.apiUrl}/v1/courses/demo/results`, { headers: auth(stack.tokens.sensei) })).json()) as any;
    const row = json.results.find((r: { login: string; labId: string }) => r.login === 'student2' && r.labId === 'quiz-ch08');
    expect(row).toMatchObject({ attempts: 2, submissionId: best.id, score: row.maxScore });
    const csv = await fetch(`${stack.apiUrl}/v1/courses/demo/results?format=csv`, { headers: auth(stack.tokens.sensei) });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('login,displayName,labId,assignmentId,scoring,attempts,score,maxScore,state,late,submissionId,submittedAt');
    expect(lines.some((l) => l.startsWith('student2,') && l.includes(',quiz-ch08,'))).toBe(true);
    const denied = await fetch(`${stack.apiUrl}/v1/courses/demo/results`, { headers: auth(stack.tokens.student1) });
    expect(denied.status).toBe(403);
  });
});

describe('the service surface', () => {
  it('serves the catalog, hiding a quiz key from students', async () => {
    const { labs } = await stack.client('student1').labs();
    expect(labs.map((l) => l.id)).toEqual(expect.arrayContaining(['quiz-ch01', 'quiz-ch10']));
    const lab = (await stack.client('student1').lab('quiz-ch01')) as unknown as { definition: { questions: Array<Record<string, unknown>> } };
    expect(lab.definition.questions[0]).not.toHaveProperty('answer');
    const forTeacher = (await stack.client('sensei').lab('quiz-ch01')) as unknown as { definition: { questions: Array<Record<string, unknown>> } };
    expect(forTeacher.definition.questions[0]).toHaveProperty('answer');
    const docker = (await stack.client('student1').lab('docker-run-nginx')) as any;
    expect(Object.keys(docker.definition.checks[0]).sort()).toEqual(['id', 'points', 'title']);
  });

  it('publishes OpenAPI, readiness and Prometheus metrics', async () => {
    const openapi = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as any;
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/submissions', '/v1/submissions/{id}/events', '/v1/courses/{id}/results']));
    expect(openapi.components.schemas.Submission.properties.state.enum).toEqual(['queued', 'running', 'graded', 'error', 'rejected']);
    expect(await (await fetch(`${stack.apiUrl}/readyz`)).json()).toMatchObject({ status: 'ready', postgres: 'ok', redis: 'ok' });
    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/kadai_queue_depth\{queue="grade-quiz",state="waiting"\} \d+/);
    expect(metrics).toMatch(/kadai_submissions_accepted_total\{kind="quiz"\} [1-9]/);
  });
});
