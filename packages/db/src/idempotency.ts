import type { Queryable } from './pool';

export interface StoredResponse {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** The answer given before to this user's request with this Idempotency-Key, if any. */
export async function findStoredResponse(db: Queryable, userId: string, key: string): Promise<StoredResponse | undefined> {
  const { rows } = await db.query<StoredResponse>('SELECT method, path, status, body FROM idempotent_requests WHERE user_id = $1 AND key = $2', [userId, key]);
  return rows[0];
}

/** Keeps a successful answer for its Idempotency-Key (the first one stays if two raced). */
export async function storeResponse(db: Queryable, userId: string, key: string, response: StoredResponse): Promise<void> {
  await db.query(
    'INSERT INTO idempotent_requests (user_id, key, method, path, status, body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING',
    [userId, key, response.method, response.path, response.status, JSON.stringify(response.body ?? null)],
  );
}
