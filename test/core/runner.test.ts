import { loadLab } from '@kadai/catalog';
import { createPool, createSubmission, migrate, syncLabs, upsertUser, type Db } from '@kadai/db';
import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import type { Grader } from '@kadai/grading';
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
  const { lab } = await loadLab(path.join(REPO_ROOT, 'labs', 'quiz-ch01'));
  await syncLabs(db, [lab!]);
  userId = await upsertUser(db, 'runner-student', 'Runner Student', 'student');
  deps = { db, labs: new Map([['quiz-ch01', lab!]]), graders: { quiz: failingGrader }, log: pino({ level: 'silent' }), metrics: createMetrics(), workerId: 'w', heartbeatMs: 1000, faultDelayMs: 0 };
});
afterAll(async () => {
  await db?.end();
  await dropTestDatabase(url);
});

async function newSubmission(): Promise<string> {
  const id = randomUUID();
  await createSubmission(db, { id, userId, labId: 'quiz-ch01', labVersion: 'v', assignment: undefined, idempotencyKey: undefined, files: new Map(), now: new Date() });
  return id;
}
const row = async (id: string) => (await db.query('SELECT state, score, attempt, infra_retries, error_message FROM submissions WHERE id = $1', [id])).rows[0];
const delivery = (submissionId: string, attempt: number) => ({ job: { submissionId, run: 1 }, attempt, maxAttempts: 3, signal: new AbortController().signal });

it('retries an infrastructure failure, then stores error — never a score of 0', async () => {
  failure = new InfrastructureError('docker engine unreachable', true);
  const id = await newSubmission();
  await expect(runJob(deps, delivery(id, 1))).rejects.toThrow('docker engine unreachable');
  expect(await row(id)).toMatchObject({ state: 'queued', infra_retries: 1, score: null });
  await expect(runJob(deps, delivery(id, 2))).rejects.toThrow();
  await expect(runJob(deps, delivery(id, 3))).resolves.toBe('error');
  expect(await row(id)).toMatchObject({ state: 'error', infra_retries: 2, score: null, error_message: 'docker engine unreachable' });
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
