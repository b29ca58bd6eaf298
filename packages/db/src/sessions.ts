import { randomBytes } from 'node:crypto';
import type { Queryable } from './pool';
import { hashToken, type Principal } from './tokens';

export interface WebSession {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

/** Opens a session; the returned id goes into the cookie and is never stored as such. */
export async function createSession(db: Queryable, userId: string, method: 'token' | 'lti', ttlMs: number): Promise<{ id: string; csrfToken: string }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  // Sessions that ran out are dropped on the way; no separate sweeper is needed.
  await db.query('DELETE FROM web_sessions WHERE expires_at < now()');
  await db.query(`INSERT INTO web_sessions (id_hash, user_id, csrf_token, method, expires_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`, [
    hashToken(id),
    userId,
    csrfToken,
    method,
    ttlMs,
  ]);
  return { id, csrfToken };
}

export async function findSession(db: Queryable, id: string): Promise<WebSession | undefined> {
  const { rows } = await db.query<{ userId: string; login: string; role: Principal['role']; csrfToken: string; expiresAt: Date }>(
    `SELECT u.id AS "userId", u.login, u.role, s.csrf_token AS "csrfToken", s.expires_at AS "expiresAt"
       FROM web_sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [hashToken(id)],
  );
  const row = rows[0];
  return row && { principal: { userId: row.userId, login: row.login, role: row.role }, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM web_sessions WHERE id_hash = $1', [hashToken(id)]);
}
