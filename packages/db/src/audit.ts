import type { Queryable } from './pool';

export async function audit(db: Queryable, actorId: string, action: string, subject: string, detail: object = {}): Promise<void> {
  await db.query('INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, $2, $3, $4)', [
    actorId,
    action,
    subject,
    JSON.stringify(detail),
  ]);
}
