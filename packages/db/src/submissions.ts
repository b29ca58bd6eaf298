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

export const SUBMISSION_COLUMNS = `s.id, s.user_id AS "userId", s.lab_id AS "labId", l.kind AS "labKind",
  s.assignment_id AS "assignmentId", s.attempt, s.state, s.lab_version AS "labVersion",
  s.graded_lab_version AS "gradedLabVersion", s.grading_run AS "gradingRun", s.score::float8 AS score,
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
  now: Date;
}

/**
 * Stores a submission and its files as `queued` in one transaction, numbering the attempt and
 * enforcing the assignment's window and attempt limit. Returns the existing submission instead when
 * the same Idempotency-Key was used before by this user.
 */
export async function createSubmission(db: Db, s: NewSubmission): Promise<{ submission: Submission; created: boolean }> {
  return transaction(db, async (tx) => {
    // One student's attempts at one lab are numbered one at a time.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s.userId}/${s.labId}`]);
    if (s.idempotencyKey) {
      const { rows } = await tx.query<{ id: string }>('SELECT id FROM submissions WHERE user_id = $1 AND idempotency_key = $2', [
        s.userId,
        s.idempotencyKey,
      ]);
      if (rows[0]) return { submission: (await getSubmission(tx, rows[0].id))!, created: false };
    }
    const factor = checkWindow(s.assignment, s.now);
    const { rows: counted } = await tx.query<{ last: number | null }>(
      `SELECT max(attempt) AS last FROM submissions WHERE user_id = $1 AND lab_id = $2 AND assignment_id IS NOT DISTINCT FROM $3`,
      [s.userId, s.labId, s.assignment?.id ?? null],
    );
    const attempt = (counted[0]?.last ?? 0) + 1;
    if (s.assignment?.maxAttempts && attempt > s.assignment.maxAttempts) {
      throw new RejectedInputError(`no attempts left: this assignment allows ${s.assignment.maxAttempts}`, [], 409);
    }
    await tx.query(
      `INSERT INTO submissions (id, user_id, lab_id, assignment_id, attempt, state, lab_version, idempotency_key, late_factor, submitted_at)
       VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9)`,
      [s.id, s.userId, s.labId, s.assignment?.id ?? null, attempt, s.labVersion, s.idempotencyKey ?? null, factor, s.now],
    );
    if (s.files.size > 0) {
      await tx.query(
        'INSERT INTO submission_files (submission_id, path, content) SELECT $1, * FROM unnest($2::text[], $3::bytea[])',
        [s.id, [...s.files.keys()], [...s.files.values()]],
      );
    }
    return { submission: (await getSubmission(tx, s.id))!, created: true };
  });
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
