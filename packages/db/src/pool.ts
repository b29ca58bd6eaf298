import { Pool, type PoolClient } from 'pg';

export type Db = Pool;
export type Queryable = Pool | PoolClient;

/**
 * A pool of connections. `onIdleError` hears of an idle connection the server closed (PostgreSQL
 * restarted): the pool drops it and opens another for the next query. Without a listener, pg emits
 * that as an unhandled 'error' event, which ends the process (found by the chaos suite).
 */
export function createPool(databaseUrl: string, max = 10, onIdleError: (error: Error) => void = () => undefined): Db {
  const pool = new Pool({ connectionString: databaseUrl, max });
  pool.on('error', onIdleError);
  return pool;
}

/** Runs `fn` in one transaction: committed if it returns, rolled back if it throws. */
export async function transaction<T>(db: Db, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
