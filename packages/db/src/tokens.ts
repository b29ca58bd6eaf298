import { createHash, randomBytes } from 'node:crypto';
import { transaction, type Db, type Queryable } from './pool';

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

export interface TokenInfo {
  id: string;
  userId: string;
  login: string;
  label: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const TOKEN_COLUMNS = `t.id, t.user_id AS "userId", u.login, t.label, t.created_at AS "createdAt", t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt"`;

/** Issues a token; the token itself is returned once and only its hash is kept. */
export async function issueToken(db: Queryable, userId: string, label: string, expiresAt: Date | null): Promise<TokenInfo & { token: string }> {
  const token = newToken();
  const { rows } = await db.query<TokenInfo>(
    `WITH t AS (INSERT INTO api_tokens (user_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4) RETURNING *)
     SELECT ${TOKEN_COLUMNS} FROM t JOIN users u ON u.id = t.user_id`,
    [userId, hashToken(token), label, expiresAt],
  );
  return { ...rows[0]!, token };
}

export async function getTokenInfo(db: Queryable, id: string): Promise<TokenInfo | undefined> {
  const { rows } = await db.query<TokenInfo>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, [id]);
  return rows[0];
}

/** A user's tokens (or everyone's), newest first; never the tokens themselves. */
export async function listTokens(db: Queryable, userId: string | null): Promise<TokenInfo[]> {
  const { rows } = await db.query<TokenInfo>(
    `SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE $1::uuid IS NULL OR t.user_id = $1 ORDER BY t.created_at DESC LIMIT 1000`,
    [userId],
  );
  return rows;
}

export async function revokeToken(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return rowCount === 1;
}

/**
 * Replaces a live token by a new one for the same user, label and expiry, in one transaction: the old
 * one stops working as the new one is issued. Undefined when the token is unknown or already revoked.
 */
export async function rotateToken(db: Db, id: string): Promise<(TokenInfo & { token: string }) | undefined> {
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ userId: string; label: string; expiresAt: Date | null }>(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
       RETURNING user_id AS "userId", label, expires_at AS "expiresAt"`,
      [id],
    );
    const old = rows[0];
    return old ? issueToken(tx, old.userId, old.label, old.expiresAt) : undefined;
  });
}
