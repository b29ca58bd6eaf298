import type { Queryable } from './pool';

/** One student's exception to an assignment: a later due date and/or attempts beyond its limit. */
export interface Extension {
  assignmentId: string;
  userId: string;
  login: string;
  dueAt: Date | null;
  extraAttempts: number;
  reason: string;
}

export async function setExtension(db: Queryable, e: { assignmentId: string; userId: string; dueAt: Date | null; extraAttempts: number; reason: string }): Promise<void> {
  await db.query(
    `INSERT INTO assignment_extensions (assignment_id, user_id, due_at, extra_attempts, reason) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (assignment_id, user_id) DO UPDATE SET due_at = EXCLUDED.due_at, extra_attempts = EXCLUDED.extra_attempts, reason = EXCLUDED.reason`,
    [e.assignmentId, e.userId, e.dueAt, e.extraAttempts, e.reason],
  );
}

export async function deleteExtension(db: Queryable, assignmentId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM assignment_extensions WHERE assignment_id = $1 AND user_id = $2', [assignmentId, userId]);
  return rowCount === 1;
}

export async function listExtensions(db: Queryable, assignmentId: string): Promise<Extension[]> {
  const { rows } = await db.query<Extension>(
    `SELECT x.assignment_id AS "assignmentId", x.user_id AS "userId", u.login, x.due_at AS "dueAt", x.extra_attempts AS "extraAttempts", x.reason
       FROM assignment_extensions x JOIN users u ON u.id = x.user_id WHERE x.assignment_id = $1 ORDER BY u.login`,
    [assignmentId],
  );
  return rows;
}
