import { LiveCatalog, loadLab, type Lab } from '@kadai/catalog';
import { createPool, createSubmission, migrate, publishLabs, removeEndedSecretFiles, startRegrade, upsertUser, type Db } from '@kadai/db';
import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import type { CheckResult, Grader, GradingContext } from '@kadai/grading';
import { createMetrics } from '@kadai/observability';
import { runJob, type RunnerDeps } from '@kadai/runner';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { createTestDatabase, dropTestDatabase, REPO_ROOT } from '../support/stack';

// The runner's failure policy against real Postgres; the grader is a stand-in that fails on purpose.
let db: Db;
let url: string;
let deps: RunnerDeps;
let userId: string;
let failure: Error;
let shipped: Lab;
const failingGrader: Grader = {
  kind: 'quiz',
  validate: () => undefined,
  grade: async () => {
    throw failure;
  },
};

beforeAll(async () => {
  url = await createTestDatabase('runner');
  await migrate(url);
  db = createPool(url, 4);
  shipped = (await loadLab(path.join(REPO_ROOT, 'labs', 'quiz-ch01'))).lab!;
  await publishLabs(db, [shipped]);
  const labs = new LiveCatalog(path.join(REPO_ROOT, 'labs'));
  labs.set('quiz-ch01', shipped);
  userId = await upsertUser(db, 'runner-student', 'Runner Student', 'student');
  deps = { db, labs, graders: { quiz: failingGrader }, log: pino({ level: 'silent' }), metrics: createMetrics(), workerId: 'w', heartbeatMs: 1000, leaseMs: 30_000, faultDelayMs: 0 };
});
afterAll(async () => {
  await db?.end();
  await dropTestDatabase(url);
});

/** A submission of quiz-ch01 at its published version (accepting one checks that it is). */
async function newSubmission(files = new Map<string, Buffer>(), secretFiles: string[] = []): Promise<string> {
  const id = randomUUID();
  const { rows } = await db.query<{ version: string }>(`SELECT version FROM labs WHERE id = 'quiz-ch01'`);
  await createSubmission(db, { id, userId, labId: 'quiz-ch01', labVersion: rows[0]!.version, assignment: undefined, idempotencyKey: undefined, files, secretFiles, now: new Date(), freeErrorCap: 5 });
  return id;
}
const storedFiles = async (id: string) => (await db.query<{ path: string }>('SELECT path FROM submission_files WHERE submission_id = $1 ORDER BY path', [id])).rows.map((r) => r.path);
/** Files as a live-cluster lab takes them: the manifest, and a kubeconfig marked as credentials when taken. */
const withCredentials = () => newSubmission(new Map([['kubeconfig', Buffer.from('token: s3cret')], ['manifest.yaml', Buffer.from('kind: Pod')]]), ['kubeconfig']);
const row = async (id: string) =>
  (
    await db.query(
      `SELECT state, score::float8 AS score, attempt, infra_retries, error_message, worker_id, lease_token, grading_run, graded_run
         FROM submissions WHERE id = $1`,
      [id],
    )
  ).rows[0];
const delivery = (submissionId: string, attempt: number, run = 1) => ({ job: { submissionId, run }, attempt, maxAttempts: 3, signal: new AbortController().signal });

it('retries an infrastructure failure, then stores error — never a score of 0', async () => {
  failure = new InfrastructureError('docker engine unreachable', true);
  const id = await newSubmission();
  await expect(runJob(deps, delivery(id, 1))).rejects.toThrow('docker engine unreachable');
  expect(await row(id)).toMatchObject({ state: 'queued', infra_retries: 1, score: null });
  await expect(runJob(deps, delivery(id, 2))).rejects.toThrow();
  await expect(runJob(deps, delivery(id, 3))).resolves.toBe('error');
  expect(await row(id)).toMatchObject({ state: 'error', infra_retries: 2, score: null, error_message: 'docker engine unreachable' });
});

describe('credentials handed in (files marked secret when the submission was taken)', () => {
  it('stay while the grading is retried and are erased when it ends in error; the other files stay', async () => {
    failure = new InfrastructureError('cluster unreachable', true);
    const id = await withCredentials();
    await expect(runJob(deps, delivery(id, 1))).rejects.toThrow('cluster unreachable');
    expect(await storedFiles(id)).toEqual(['kubeconfig', 'manifest.yaml']);
    await expect(runJob(deps, delivery(id, 3))).resolves.toBe('error');
    expect(await storedFiles(id)).toEqual(['manifest.yaml']);
  });

  it('are erased when the worker has no grader for the lab (it cannot ask the lab which files they are)', async () => {
    const id = await withCredentials();
    await expect(runJob({ ...deps, graders: {} }, delivery(id, 1))).resolves.toBe('error');
    expect(await row(id)).toMatchObject({ state: 'error', error_message: "lab quiz-ch01 is not in this worker's catalog or has no grader" });
    expect(await storedFiles(id)).toEqual(['manifest.yaml']);
  });

  it("left by a worker stopped between the grade and the erasure go at the workers' sweep; a queued submission keeps them", async () => {
    const [ended, queued] = [await withCredentials(), await withCredentials()];
    await db.query(`UPDATE submissions SET state = 'graded', finished_at = now() WHERE id = $1`, [ended]);
    expect(await removeEndedSecretFiles(db)).toBeGreaterThanOrEqual(1);
    expect(await storedFiles(ended)).toEqual(['manifest.yaml']);
    expect(await storedFiles(queued)).toEqual(['kubeconfig', 'manifest.yaml']);
  });
});

it('does not retry an infrastructure failure marked final', async () => {
  failure = new InfrastructureError('cluster credentials rejected', false);
  const id = await newSubmission();
  await expect(runJob(deps, delivery(id, 1))).resolves.toBe('error');
  expect(await row(id)).toMatchObject({ state: 'error', infra_retries: 0 });
});

it('treats an unclassified crash as a retryable infrastructure failure', async () => {
  failure = new TypeError('cannot read properties of undefined');
  const id = await newSubmission();
  await expect(runJob(deps, delivery(id, 1))).rejects.toThrow('cannot read properties of undefined');
  expect(await row(id)).toMatchObject({ state: 'queued', infra_retries: 1 });
});

it('rejects input the grader cannot grade at once, giving the attempt back', async () => {
  failure = new RejectedInputError('compose.yaml asks for privileged mode', [{ file: 'compose.yaml', line: 4, column: 5, field: 'services.web.privileged', message: 'not allowed' }]);
  const id = await newSubmission();
  await expect(runJob(deps, delivery(id, 1))).resolves.toBe('rejected');
  expect(await row(id)).toMatchObject({ state: 'rejected', attempt: null, score: null });
  await expect(runJob(deps, delivery(id, 1))).resolves.toBe('duplicate');
});

/** One result per call: the check passes with `points` of 1 (so two workers' results can be told apart). */
const result = (points: number): CheckResult => ({ checkId: 'q1', title: { ja: 'q1', en: 'q1' }, points, maxPoints: 1, status: points ? 'pass' : 'fail', message: { ja: '', en: '' }, visibility: 'visible' });

/** A grader that holds each grading until released, reporting the context it was given. */
function gatedGrader(points: number) {
  let release!: () => void;
  let entered!: (ctx: GradingContext) => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<GradingContext>((resolve) => (entered = resolve));
  const grader: Grader = {
    kind: 'quiz',
    validate: () => undefined,
    grade: async (_lab, _input, ctx) => {
      entered(ctx);
      await gate;
      return [result(points)];
    },
  };
  return { grader, started, release };
}
const readyGrader = (points: number): Grader => ({ kind: 'quiz', validate: () => undefined, grade: async () => [result(points)] });
const checkRows = async (id: string) => (await db.query('SELECT grading_run, points::float8 AS points FROM check_results WHERE submission_id = $1 ORDER BY grading_run', [id])).rows;

describe('one grading at a time (lease and fencing token)', () => {
  it("refuses a stale worker's late write once its lease was taken over; the new owner's result stands", async () => {
    const id = await newSubmission();
    // Worker A claims, then stalls mid-grading without renewing (its heartbeat is far off) past its lease.
    const stalled = gatedGrader(0);
    const a = runJob({ ...deps, workerId: 'a', graders: { quiz: stalled.grader }, leaseMs: 1_500, heartbeatMs: 60_000 }, delivery(id, 1));
    const aCtx = await stalled.started;
    expect(aCtx.token).toBe(1);
    // While A's lease is live, B's delivery of the same run is a duplicate: one grading at a time.
    await expect(runJob({ ...deps, workerId: 'b', graders: { quiz: readyGrader(1) } }, delivery(id, 2))).resolves.toBe('duplicate');
    await new Promise((r) => setTimeout(r, 1_600));
    await expect(runJob({ ...deps, workerId: 'b', graders: { quiz: readyGrader(1) } }, delivery(id, 2))).resolves.toBe('graded');
    expect(await row(id)).toMatchObject({ state: 'graded', worker_id: 'b', lease_token: 2, score: 1, graded_run: 1 });
    stalled.release();
    await expect(a).resolves.toBe('stale');
    expect(await row(id)).toMatchObject({ state: 'graded', worker_id: 'b', lease_token: 2, score: 1 });
    expect(await checkRows(id)).toEqual([{ grading_run: 1, points: 1 }]);
  });

  it('stops a grading whose lease renewal is refused: its signal aborts and nothing it does is written', async () => {
    const id = await newSubmission();
    const held = gatedGrader(0);
    const a = runJob({ ...deps, workerId: 'a', graders: { quiz: held.grader }, leaseMs: 2_000, heartbeatMs: 50 }, delivery(id, 1));
    const aCtx = await held.started;
    // The lease runs out (as if A had been paused) and worker B takes the run over.
    await db.query(`UPDATE submissions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const b = gatedGrader(1);
    const bRun = runJob({ ...deps, workerId: 'b', graders: { quiz: b.grader } }, delivery(id, 1));
    expect((await b.started).token).toBe(2);
    await expect(a).resolves.toBe('stale');
    expect(aCtx.signal.aborted).toBe(true);
    b.release();
    await expect(bRun).resolves.toBe('graded');
    expect(await row(id)).toMatchObject({ state: 'graded', worker_id: 'b', score: 1 });
  });

  it("refuses a stale worker's error and retry too", async () => {
    failure = new InfrastructureError('engine gone', true);
    const id = await newSubmission();
    const held = gatedGrader(0);
    const failing: Grader = { ...held.grader, grade: async (...args) => (await held.grader.grade(...args), Promise.reject(failure)) };
    const a = runJob({ ...deps, workerId: 'a', graders: { quiz: failing }, leaseMs: 300, heartbeatMs: 60_000 }, delivery(id, 1));
    await held.started;
    await new Promise((r) => setTimeout(r, 400));
    await expect(runJob({ ...deps, workerId: 'b', graders: { quiz: readyGrader(1) } }, delivery(id, 1))).resolves.toBe('graded');
    held.release();
    await expect(a).resolves.toBe('stale');
    expect(await row(id)).toMatchObject({ state: 'graded', worker_id: 'b', infra_retries: 0, error_message: null });
  });
});

describe('regrades never erase', () => {
  it('keeps the earned grade when a regrade ends in error or rejected, and replaces it only with a new grade', async () => {
    const id = await newSubmission();
    await expect(runJob({ ...deps, graders: { quiz: readyGrader(1) } }, delivery(id, 1))).resolves.toBe('graded');
    const { attempt } = await row(id);
    expect(attempt).toEqual(expect.any(Number));
    expect(await startRegrade(db, id)).toBe(2);
    expect(await row(id)).toMatchObject({ state: 'queued', score: 1, graded_run: 1, grading_run: 2 });

    failure = new InfrastructureError('cluster unreachable', false);
    await expect(runJob(deps, delivery(id, 1, 2))).resolves.toBe('error');
    expect(await row(id)).toMatchObject({ state: 'error', score: 1, graded_run: 1, attempt, error_message: 'cluster unreachable' });

    expect(await startRegrade(db, id)).toBe(3);
    failure = new RejectedInputError('answers.json: q1 no longer exists');
    await expect(runJob(deps, delivery(id, 1, 3))).resolves.toBe('rejected');
    expect(await row(id)).toMatchObject({ state: 'rejected', score: 1, graded_run: 1, attempt });

    expect(await startRegrade(db, id)).toBe(4);
    await expect(runJob({ ...deps, graders: { quiz: readyGrader(0) } }, delivery(id, 1, 4))).resolves.toBe('graded');
    expect(await row(id)).toMatchObject({ state: 'graded', score: 0, graded_run: 4 });
    expect(await checkRows(id)).toEqual([
      { grading_run: 1, points: 1 },
      { grading_run: 4, points: 0 },
    ]);
  });
});

it('retries a published lab version this worker cannot load, then stores error — never a score', async () => {
  // published: a version whose stored files do not hash to it (as if tampered with)
  const version = 'f00df00df00df00d';
  await db.query(`INSERT INTO lab_versions (lab_id, version, definition, files) SELECT lab_id, $2, definition, files FROM lab_versions WHERE lab_id = 'quiz-ch01' AND version = $1`, [shipped.version, version]);
  await db.query(`UPDATE labs SET version = $1 WHERE id = 'quiz-ch01'`, [version]);
  try {
    failure = new Error('the grader must not run');
    const id = await newSubmission();
    const why = `lab quiz-ch01 version ${version}, as published, cannot be loaded by this process: its files hash to version ${shipped.version}, not ${version}`;
    await expect(runJob(deps, delivery(id, 1))).rejects.toThrow(why);
    expect(await row(id)).toMatchObject({ state: 'queued', infra_retries: 1, score: null });
    await expect(runJob(deps, delivery(id, 3))).resolves.toBe('error');
    expect(await row(id)).toMatchObject({ state: 'error', score: null, error_message: why });
    expect(deps.labs.get('quiz-ch01')).toBe(shipped);
  } finally {
    await db.query(`UPDATE labs SET version = $1 WHERE id = 'quiz-ch01'`, [shipped.version]);
  }
});
