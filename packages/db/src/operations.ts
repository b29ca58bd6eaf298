import type { Queryable } from './pool';

/** Per lab kind, how long the oldest queued submission has waited (seconds); kinds with none queued are 0. */
export async function oldestQueuedAges(db: Queryable): Promise<Map<string, number>> {
  // updated_at: when it was queued last (a regrade queues an old submission again)
  const { rows } = await db.query<{ kind: string; age: number }>(
    `SELECT l.kind, COALESCE(EXTRACT(EPOCH FROM now() - min(s.updated_at)), 0)::float8 AS age
       FROM labs l LEFT JOIN submissions s ON s.lab_id = l.id AND s.state = 'queued'
      GROUP BY l.kind`,
  );
  return new Map(rows.map((r) => [r.kind, r.age]));
}

/**
 * Retention: removes the stored files of submissions that finished (graded, error, rejected) more
 * than `days` days ago, keeping their grades and check results, and marks them so they are not
 * regraded without their files. Returns how many submissions lost their files.
 */
export async function removeOldSubmissionFiles(db: Queryable, days: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH old AS (
       UPDATE submissions SET files_removed_at = now()
        WHERE files_removed_at IS NULL AND state IN ('graded', 'error', 'rejected')
          AND COALESCE(finished_at, submitted_at) < now() - make_interval(days => $1)
        RETURNING id
     ), removed AS (DELETE FROM submission_files f USING old WHERE f.submission_id = old.id)
     SELECT count(*)::int AS n FROM old`,
    [days],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Erases the credentials (files marked secret when taken) of every submission that has ended — what
 * a worker stopped between recording the grade and erasing them left. Returns how many files went.
 */
export async function removeEndedSecretFiles(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM submission_files f USING submissions s
      WHERE f.secret AND s.id = f.submission_id AND s.state IN ('graded', 'error', 'rejected')`,
  );
  return rowCount ?? 0;
}
