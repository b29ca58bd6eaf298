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
