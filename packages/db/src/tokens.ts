import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './pool';

export type Role = 'student' | 'instructor' | 'admin' | 'lms';

export interface Principal {
  userId: string;
  login: string;
  role: Role;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function newToken(): string {
  return `kadai_${randomBytes(24).toString('base64url')}`;
}

export async function findPrincipal(db: Queryable, token: string): Promise<Principal | undefined> {
  const { rows } = await db.query<Principal>(
    `SELECT u.id AS "userId", u.login, u.role
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
    [hashToken(token)],
  );
  return rows[0];
}

/** Stores a token's hash; the token itself is only ever known to the caller. */
export async function storeToken(db: Queryable, userId: string, token: string, label: string): Promise<void> {
  await db.query('INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING', [
    userId,
    hashToken(token),
    label,
  ]);
}

export async function upsertUser(db: Queryable, login: string, displayName: string, role: Role): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (login, display_name, role) VALUES ($1, $2, $3)
     ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role
     RETURNING id`,
    [login, displayName, role],
  );
  return rows[0]!.id;
}
