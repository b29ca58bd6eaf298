import type { InputIssue } from '@kadai/errors';
import type { CheckResult } from '@kadai/grading';
import { transaction, type Db, type Queryable } from './pool';

/**
 * The submission state machine as the worker drives it:
 *   queued → running → graded | error | rejected;  running → queued (retry, sweeper);
 *   graded | error → queued (regrade, as a new grading run).
 * Every transition names the run it belongs to, so a stale worker cannot overwrite a newer run.
 */

/** Marks a run as taken by a worker; false when it is already finished (a duplicate delivery). */
export async function claimRun(db: Queryable, id: string, run: number, workerId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE submissions SET state = 'running', worker_id = $3, started_at = now(), updated_at = now()
      WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run, workerId],
  );
  return rowCount === 1;
}

/**
 * Writes the results and the score of one run in one transaction, once: a second writer for the same
 * run (a job delivered twice) changes nothing and gets false.
 */
export async function recordGrade(db: Db, id: string, run: number, labVersion: string, results: CheckResult[]): Promise<boolean> {
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ lateFactor: number }>(
      `SELECT late_factor::float8 AS "lateFactor" FROM submissions
        WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running') FOR UPDATE`,
      [id, run],
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
        id,
        run,
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
      `UPDATE submissions SET state = 'graded', score = $3, max_score = $4, graded_lab_version = $5,
              error_message = NULL, finished_at = now(), updated_at = now()
        WHERE id = $1 AND grading_run = $2`,
      [id, run, Math.round(score * 100) / 100, maxScore, labVersion],
    );
    return true;
  });
}

/** An infrastructure failure that will be retried: back to queued, counted. */
export async function recordRetry(db: Queryable, id: string, run: number, message: string): Promise<void> {
  await db.query(
    `UPDATE submissions SET state = 'queued', infra_retries = infra_retries + 1, error_message = $3, updated_at = now()
      WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run, message],
  );
}

/** Retries are used up (or the failure cannot be retried): `error`, never a score. */
export async function recordError(db: Queryable, id: string, run: number, message: string): Promise<void> {
  await db.query(
    `UPDATE submissions SET state = 'error', score = NULL, error_message = $3, finished_at = now(), updated_at = now()
      WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run, message],
  );
}

/** Input the grader cannot grade: `rejected`, and the attempt is given back. */
export async function recordRejected(db: Queryable, id: string, run: number, message: string, issues: InputIssue[]): Promise<void> {
  await db.query(
    `UPDATE submissions SET state = 'rejected', attempt = NULL, score = NULL, error_message = $3, rejection = $4,
            finished_at = now(), updated_at = now()
      WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run, message, JSON.stringify(issues)],
  );
}

/** Starts a new grading run of a finished submission (a regrade); returns the run, or null if still in flight. */
export async function startRegrade(db: Queryable, id: string): Promise<number | null> {
  const { rows } = await db.query<{ run: number }>(
    `UPDATE submissions SET state = 'queued', grading_run = grading_run + 1, score = NULL, max_score = NULL,
            error_message = NULL, rejection = NULL, worker_id = NULL, infra_retries = 0, started_at = NULL,
            finished_at = NULL, updated_at = now()
      WHERE id = $1 AND state IN ('graded', 'error') RETURNING grading_run AS run`,
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

/** Submissions waiting or running for longer than they should: the sweeper re-enqueues them. */
export async function findStuck(db: Queryable, queuedFor: number, runningFor: number): Promise<StuckSubmission[]> {
  const { rows } = await db.query<StuckSubmission>(
    `SELECT s.id, s.grading_run AS run, l.kind, s.state FROM submissions s JOIN labs l ON l.id = s.lab_id
      WHERE (s.state = 'queued' AND s.updated_at < now() - make_interval(secs => $1 / 1000.0))
         OR (s.state = 'running' AND s.updated_at < now() - make_interval(secs => $2 / 1000.0))
      ORDER BY s.updated_at LIMIT 500`,
    [queuedFor, runningFor],
  );
  return rows;
}

/**
 * Marks a stuck submission as seen by the sweeper, so it is not looked at again at once: back to
 * `queued` when its job was added again, otherwise only the time (its job is still live, and a
 * worker may just have claimed it).
 */
export async function touch(db: Queryable, id: string, run: number, requeued: boolean): Promise<void> {
  await db.query(
    requeued
      ? `UPDATE submissions SET state = 'queued', updated_at = now() WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`
      : `UPDATE submissions SET updated_at = now() WHERE id = $1 AND grading_run = $2 AND state IN ('queued', 'running')`,
    [id, run],
  );
}

/** A running worker's sign of life: the sweeper leaves a run alone while this keeps happening. */
export async function heartbeat(db: Queryable, id: string, run: number): Promise<void> {
  await db.query(`UPDATE submissions SET updated_at = now() WHERE id = $1 AND grading_run = $2 AND state = 'running'`, [id, run]);
}

/** An instructor's manual score for a graded submission; returns the score it replaced, or null if not graded. */
export async function overrideScore(db: Queryable, id: string, score: number): Promise<{ previous: number } | null> {
  const { rows } = await db.query<{ previous: number }>(
    `UPDATE submissions s SET score = $2, updated_at = now() FROM (SELECT score FROM submissions WHERE id = $1 FOR UPDATE) old
      WHERE s.id = $1 AND s.state = 'graded' AND $2 <= s.max_score RETURNING old.score::float8 AS previous`,
    [id, score],
  );
  return rows[0] ?? null;
}
