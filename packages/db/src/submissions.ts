import { RejectedInputError } from '@kadai/errors';
import { lateFactor } from '@kadai/grading';
import type { Assignment } from './assignments';
import { transaction, type Db, type Queryable } from './pool';

export type SubmissionState = 'queued' | 'running' | 'graded' | 'error' | 'rejected';

export interface Submission {
  id: string;
  userId: string;
  labId: string;
  labKind: 'quiz' | 'docker' | 'kubernetes';
  assignmentId: string | null;
  attempt: number | null;
  state: SubmissionState;
  labVersion: string;
  gradedLabVersion: string | null;
  gradingRun: number;
  /** The run whose score and check results count; null until one records a grade. */
  gradedRun: number | null;
  score: number | null;
  maxScore: number | null;
  lateFactor: number;
  workerId: string | null;
  infraRetries: number;
  errorMessage: string | null;
  rejection: unknown;
  submittedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

const SUBMISSION_COLUMNS = `s.id, s.user_id AS "userId", s.lab_id AS "labId", l.kind AS "labKind",
  s.assignment_id AS "assignmentId", s.attempt, s.state, s.lab_version AS "labVersion",
  s.graded_lab_version AS "gradedLabVersion", s.grading_run AS "gradingRun", s.graded_run AS "gradedRun", s.score::float8 AS score,
  s.max_score::float8 AS "maxScore", s.late_factor::float8 AS "lateFactor", s.worker_id AS "workerId",
  s.infra_retries AS "infraRetries", s.error_message AS "errorMessage", s.rejection,
  s.submitted_at AS "submittedAt", s.started_at AS "startedAt", s.finished_at AS "finishedAt", s.updated_at AS "updatedAt"`;

export async function getSubmission(db: Queryable, id: string): Promise<Submission | undefined> {
  const { rows } = await db.query<Submission>(
    `SELECT ${SUBMISSION_COLUMNS} FROM submissions s JOIN labs l ON l.id = s.lab_id WHERE s.id = $1`,
    [id],
  );
  return rows[0];
}

export interface NewSubmission {
  id: string;
  userId: string;
  labId: string;
  labVersion: string;
  assignment: Assignment | undefined;
  idempotencyKey: string | undefined;
  files: Map<string, Buffer>;
  /** Which of the files hold credentials (Grader.secretFiles): erased once the submission has ended. */
  secretFiles: readonly string[];
  now: Date;
  /** How many submissions of one student to one lab may end in `error` without a grade (they use no attempt). */
  freeErrorCap: number;
}

/** What the api answers with at once; the full row is read again only when asked for. */
export interface Created {
  id: string;
  attempt: number;
  state: SubmissionState;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The lab was withdrawn, or another version published, since the caller read which version takes
 * submissions: nothing was stored; read the published version again and validate against it.
 */
export class PublishedLabChanged extends Error {
  constructor(readonly labId: string) {
    super(`lab ${labId} changed while the submission was being accepted`);
  }
}

/**
 * An `error` without a grade is kadai's failure, not the student's: it uses no attempt (it keeps its
 * number, which names the submission), and counts instead toward the cap on free errors, so errors
 * cannot be farmed for unlimited gradings.
 */
const FREE_ERROR = `state = 'error' AND graded_run IS NULL`;
export const USES_ATTEMPT = `attempt IS NOT NULL AND NOT (${FREE_ERROR})`;

/**
 * Stores a submission and its files as `queued`, numbering the attempt and enforcing the
 * assignment's window, its attempt limit and the cap on free errors, and that `labVersion` is the
 * lab's published version and the lab is not withdrawn — in one statement, so accepting a submission costs one
 * round trip. Two attempts racing for the same number collide on the unique (user, lab, assignment,
 * attempt) index; the loser numbers again under a per-student lock. With an Idempotency-Key used
 * before by this user, the earlier submission is returned instead (created: false).
 */
export async function createSubmission(db: Db, s: NewSubmission): Promise<{ submission: Created; created: boolean }> {
  const factor = checkWindow(s.assignment, s.now);
  try {
    return await insertSubmission(db, s, factor);
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  }
  // Slow path, when attempts of one student at one lab race: number them one at a time.
  for (let tries = 0; ; tries++) {
    try {
      return await transaction(db, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s.userId}/${s.labId}`]);
        return insertSubmission(tx, s, factor);
      });
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION || tries >= 10) throw error;
    }
  }
}

async function insertSubmission(db: Queryable, s: NewSubmission, factor: number): Promise<{ submission: Created; created: boolean }> {
  const { rows } = await db.query<Created>(
    `WITH next AS (
       SELECT coalesce(max(attempt), 0) + 1 AS attempt, count(attempt) FILTER (WHERE ${USES_ATTEMPT}) AS used FROM submissions
        WHERE user_id = $2 AND lab_id = $3 AND assignment_id IS NOT DISTINCT FROM $4
     ), errors AS (
       SELECT count(*) AS free FROM submissions WHERE user_id = $2 AND lab_id = $3 AND ${FREE_ERROR}
     ), published AS (
       SELECT 1 FROM labs WHERE id = $3 AND version = $5 AND withdrawn_at IS NULL
     ), inserted AS (
       INSERT INTO submissions (id, user_id, lab_id, assignment_id, attempt, state, lab_version, idempotency_key, late_factor, submitted_at)
       SELECT $1, $2, $3, $4, next.attempt, 'queued', $5, $6, $7, $8 FROM next, errors, published
        WHERE ($9::int IS NULL OR next.used < $9::int) AND errors.free < $12::int
       ON CONFLICT (user_id, idempotency_key) DO NOTHING
       RETURNING id, attempt, state
     ), files AS (
       INSERT INTO submission_files (submission_id, path, content, secret)
       SELECT inserted.id, f.path, f.content, f.path = ANY($13::text[]) FROM inserted, unnest($10::text[], $11::bytea[]) AS f(path, content)
     )
     SELECT id, attempt, state FROM inserted`,
    [
      s.id,
      s.userId,
      s.labId,
      s.assignment?.id ?? null,
      s.labVersion,
      s.idempotencyKey ?? null,
      factor,
      s.now,
      s.assignment?.maxAttempts ?? null,
      [...s.files.keys()],
      [...s.files.values()],
      s.freeErrorCap,
      [...s.secretFiles],
    ],
  );
  if (rows[0]) return { submission: rows[0], created: true };
  return { submission: await existingOrLimit(db, s), created: false };
}

/** Nothing was inserted: the lab changed, the Idempotency-Key was used before, the free errors are used up, or no attempts are left. */
async function existingOrLimit(db: Queryable, s: NewSubmission): Promise<Created> {
  // the lab first, as before a replay: an Idempotency-Key replayed after a withdrawal gets the withdrawal
  const published = await db.query('SELECT 1 FROM labs WHERE id = $1 AND version = $2 AND withdrawn_at IS NULL', [s.labId, s.labVersion]);
  if (!published.rowCount) throw new PublishedLabChanged(s.labId);
  if (s.idempotencyKey) {
    const { rows } = await db.query<Created>('SELECT id, attempt, state FROM submissions WHERE user_id = $1 AND idempotency_key = $2', [
      s.userId,
      s.idempotencyKey,
    ]);
    if (rows[0]) return rows[0];
  }
  const { rows } = await db.query<{ free: number }>(`SELECT count(*)::int AS free FROM submissions WHERE user_id = $1 AND lab_id = $2 AND ${FREE_ERROR}`, [
    s.userId,
    s.labId,
  ]);
  if ((rows[0]?.free ?? 0) >= s.freeErrorCap) {
    throw new RejectedInputError(
      `${rows[0]!.free} of your submissions to ${s.labId} ended in error on kadai's side; they used no attempt, but kadai grades at most ` +
        `${s.freeErrorCap} that way: ask your instructor to regrade them (a regraded one no longer counts here)`,
      [],
      409,
    );
  }
  throw new RejectedInputError(`no attempts left: this assignment allows ${s.assignment?.maxAttempts}`, [], 409);
}

/** The share of the score kept for lateness, or a 409 when the window is closed. */
function checkWindow(assignment: Assignment | undefined, now: Date): number {
  if (!assignment) return 1;
  if (assignment.opensAt && now < assignment.opensAt) {
    throw new RejectedInputError(`this assignment opens at ${assignment.opensAt.toISOString()}`, [], 409);
  }
  const factor = lateFactor(assignment.latePolicy, assignment.dueAt, now);
  if (factor === null) {
    throw new RejectedInputError(`the deadline (${assignment.dueAt?.toISOString()}) has passed`, [], 409);
  }
  return factor;
}

export async function loadFiles(db: Queryable, submissionId: string): Promise<Map<string, Buffer>> {
  const { rows } = await db.query<{ path: string; content: Buffer }>(
    'SELECT path, content FROM submission_files WHERE submission_id = $1 ORDER BY path',
    [submissionId],
  );
  return new Map(rows.map((r) => [r.path, r.content]));
}

/** The submission's files marked as credentials when it was taken (shown by name only). */
export async function secretFilesOf(db: Queryable, submissionId: string): Promise<string[]> {
  const { rows } = await db.query<{ path: string }>('SELECT path FROM submission_files WHERE submission_id = $1 AND secret', [submissionId]);
  return rows.map((r) => r.path);
}

/**
 * Removes the submitted files that hold credentials once the grading run has ended: those marked
 * when the submission was taken, and `paths` the lab names now (Grader.secretFiles).
 */
export async function eraseSecretFiles(db: Queryable, submissionId: string, paths: readonly string[]): Promise<void> {
  await db.query('DELETE FROM submission_files WHERE submission_id = $1 AND (secret OR path = ANY($2))', [submissionId, [...paths]]);
}
