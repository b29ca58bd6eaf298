import type { InputIssue } from '@kadai/errors';
import type { CheckResult } from '@kadai/grading';
import { transaction, type Db, type Queryable } from './pool';
import { enqueueSubmissionEvents } from './webhooks';

/**
 * The submission state machine as the worker drives it (see packages/db/README.md):
 *   queued → running (claim: a lease with a new fencing token) → graded | error | rejected;
 *   running → queued (retry; the sweeper, once the lease has run out);
 *   graded | error (| rejected with an earlier grade) → queued (regrade, as a new grading run).
 * Only the holder of the current token changes a running submission: every write below names its
 * claim, so a worker whose lease was taken over (a lost BullMQ lock, a paused process) writes nothing.
 */

/** One worker's hold on one grading run: the fencing token its writes must carry. */
export interface Claim {
  submissionId: string;
  run: number;
  token: number;
}

/** The condition every write by a lease holder carries. */
const HELD = `id = $1 AND grading_run = $2 AND lease_token = $3 AND state = 'running'`;
const claimParams = (c: Claim) => [c.submissionId, c.run, c.token];

/**
 * Takes a run for a worker: only when it is queued, or running under a lease that has run out (its
 * worker is dead or stalled). Returns the claim with its new fencing token, or null when the run is
 * finished or another worker's lease is live (a duplicate delivery).
 */
export async function claimRun(db: Queryable, submissionId: string, run: number, workerId: string, leaseMs: number): Promise<Claim | null> {
  const { rows } = await db.query<{ token: number }>(
    `UPDATE submissions SET state = 'running', worker_id = $3, lease_token = lease_token + 1,
            lease_expires_at = now() + make_interval(secs => $4 / 1000.0), started_at = now(), updated_at = now()
      WHERE id = $1 AND grading_run = $2
        AND (state = 'queued' OR (state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now())))
      RETURNING lease_token AS token`,
    [submissionId, run, workerId, leaseMs],
  );
  return rows[0] ? { submissionId, run, token: rows[0].token } : null;
}

/**
 * Extends the lease of a claim still held (a worker's heartbeat). False when the run was taken over
 * or finished: the worker must stop and leave the run alone. A lease that ran out but was not taken
 * over is renewed: the token, not the clock, decides who may write.
 */
export async function renewLease(db: Queryable, claim: Claim, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE submissions SET lease_expires_at = now() + make_interval(secs => $4 / 1000.0), updated_at = now() WHERE ${HELD}`,
    [...claimParams(claim), leaseMs],
  );
  return rowCount === 1;
}

/**
 * Writes the results and the score of one run in one transaction, only under the current claim:
 * a stale worker (or a second delivery) changes nothing and gets false. The grade becomes the one
 * that counts (graded_run), replacing an earlier run's only now.
 */
export async function recordGrade(db: Db, claim: Claim, labVersion: string, results: CheckResult[]): Promise<boolean> {
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ lateFactor: number }>(
      `SELECT late_factor::float8 AS "lateFactor" FROM submissions WHERE ${HELD} FOR UPDATE`,
      claimParams(claim),
    );
    if (!rows[0]) return false;
    const score = results.reduce((sum, r) => sum + r.points, 0) * rows[0].lateFactor;
    const maxScore = results.reduce((sum, r) => sum + r.maxPoints, 0);
    await tx.query(
      `INSERT INTO check_results (submission_id, grading_run, position, check_id, title_ja, title_en, points, max_points,
                                  status, message_ja, message_en, evidence, visibility)
       SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::numeric[],
                                    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])`,
      [
        claim.submissionId,
        claim.run,
        results.map((_, i) => i),
        results.map((r) => r.checkId),
        results.map((r) => r.title.ja),
        results.map((r) => r.title.en),
        results.map((r) => r.points),
        results.map((r) => r.maxPoints),
        results.map((r) => r.status),
        results.map((r) => r.message.ja),
        results.map((r) => r.message.en),
        results.map((r) => r.evidence ?? null),
        results.map((r) => r.visibility),
      ],
    );
    await tx.query(
      `UPDATE submissions SET state = 'graded', score = $4, max_score = $5, graded_lab_version = $6, graded_run = grading_run,
              error_message = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE ${HELD}`,
      [...claimParams(claim), Math.round(score * 100) / 100, maxScore, labVersion],
    );
    // the course's webhooks hear of the grade exactly when it is recorded (the outbox)
    await enqueueSubmissionEvents(tx, claim.submissionId);
    return true;
  });
}

/** An infrastructure failure that will be retried: back to queued, counted, the lease given up. */
export async function recordRetry(db: Queryable, claim: Claim, message: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE submissions SET state = 'queued', infra_retries = infra_retries + 1, error_message = $4, lease_expires_at = NULL,
            updated_at = now()
      WHERE ${HELD}`,
    [...claimParams(claim), message],
  );
  return rowCount === 1;
}

/**
 * Retries are used up (or the failure cannot be retried): `error`, never a score. A grade an
 * earlier run earned stays (score, graded_run); an `error` without one uses no attempt (see
 * `createSubmission`). The course's webhooks hear of it (submission.error) in the same transaction.
 */
export async function recordError(db: Db, claim: Claim, message: string): Promise<boolean> {
  return transaction(db, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE submissions SET state = 'error', error_message = $4, lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE ${HELD}`,
      [...claimParams(claim), message],
    );
    if (rowCount !== 1) return false;
    await enqueueSubmissionEvents(tx, claim.submissionId);
    return true;
  });
}

/**
 * Input the grader cannot grade: `rejected`, and the attempt is given back — unless an earlier run
 * graded it (a regrade against a newer lab version): that grade and its attempt stay.
 */
export async function recordRejected(db: Queryable, claim: Claim, message: string, issues: InputIssue[]): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE submissions SET state = 'rejected', attempt = CASE WHEN graded_run IS NULL THEN NULL ELSE attempt END,
            error_message = $4, rejection = $5, lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE ${HELD}`,
    [...claimParams(claim), message, JSON.stringify(issues)],
  );
  return rowCount === 1;
}

/**
 * Starts a new grading run of a finished submission (a regrade); returns the run, or null if still in
 * flight. The score and check results of the run that counts stay until the new run records a grade.
 */
export async function startRegrade(db: Queryable, id: string): Promise<number | null> {
  const { rows } = await db.query<{ run: number }>(
    `UPDATE submissions SET state = 'queued', grading_run = grading_run + 1, error_message = NULL, rejection = NULL,
            worker_id = NULL, infra_retries = 0, lease_expires_at = NULL, started_at = NULL, finished_at = NULL, updated_at = now()
      WHERE id = $1 AND files_removed_at IS NULL AND (state IN ('graded', 'error') OR (state = 'rejected' AND graded_run IS NOT NULL))
      RETURNING grading_run AS run`,
    [id],
  );
  return rows[0]?.run ?? null;
}

export interface StuckSubmission {
  id: string;
  run: number;
  kind: 'quiz' | 'docker' | 'kubernetes';
  state: 'queued' | 'running';
}

/**
 * What the sweeper re-enqueues: runs queued for longer than they should wait, and running runs whose
 * lease ran out (their worker died or stalled). A live lease is never swept, however long it runs.
 */
export async function findStuck(db: Queryable, queuedFor: number): Promise<StuckSubmission[]> {
  const { rows } = await db.query<StuckSubmission>(
    `SELECT s.id, s.grading_run AS run, l.kind, s.state FROM submissions s JOIN labs l ON l.id = s.lab_id
      WHERE (s.state = 'queued' AND s.updated_at < now() - make_interval(secs => $1 / 1000.0))
         OR (s.state = 'running' AND (s.lease_expires_at IS NULL OR s.lease_expires_at < now()))
      ORDER BY s.updated_at LIMIT 500`,
    [queuedFor],
  );
  return rows;
}

/**
 * Marks a stuck submission as seen by the sweeper, so it is not looked at again at once: back to
 * `queued` when its job was added again (a running one only while its lease is still out: a worker
 * may have claimed it meanwhile), otherwise only the time (its job is still live).
 */
export async function touch(db: Queryable, id: string, run: number, requeued: boolean): Promise<void> {
  await db.query(
    requeued
      ? `UPDATE submissions SET state = 'queued', lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND grading_run = $2
            AND (state = 'queued' OR (state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now())))`
      : `UPDATE submissions SET updated_at = now() WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run],
  );
}

/** The grading runs resources on an engine are labelled with. */
export interface RunRef {
  submissionId: string;
  token: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Of the given runs, those this database knows and that no longer hold their submission: finished,
 * requeued or taken over by a newer claim. Their resources may be removed. A run this database does
 * not know (another deployment sharing the engine) is not returned.
 */
export async function releasedRuns(db: Queryable, runs: RunRef[]): Promise<RunRef[]> {
  const known = runs.filter((r) => UUID.test(r.submissionId));
  if (known.length === 0) return [];
  const { rows } = await db.query<RunRef>(
    `SELECT r.id::text AS "submissionId", r.token FROM unnest($1::uuid[], $2::int[]) AS r(id, token)
       JOIN submissions s ON s.id = r.id
      WHERE NOT (s.state = 'running' AND s.lease_token = r.token)`,
    [known.map((r) => r.submissionId), known.map((r) => r.token)],
  );
  return rows;
}

/**
 * An instructor's manual score for a submission with a counted grade that is not being graded again;
 * returns the score it replaced, or null if there is none.
 */
export async function overrideScore(db: Queryable, id: string, score: number): Promise<{ previous: number } | null> {
  const { rows } = await db.query<{ previous: number }>(
    `UPDATE submissions s SET score = $2, updated_at = now() FROM (SELECT score FROM submissions WHERE id = $1 FOR UPDATE) old
      WHERE s.id = $1 AND s.graded_run IS NOT NULL AND s.state NOT IN ('queued', 'running') AND $2 <= s.max_score
      RETURNING old.score::float8 AS previous`,
    [id, score],
  );
  return rows[0] ?? null;
}
