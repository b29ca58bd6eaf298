import { Pool, type PoolClient } from 'pg';

export type Db = Pool;
export type Queryable = Pool | PoolClient;

export function createPool(databaseUrl: string, max = 10): Db {
  return new Pool({ connectionString: databaseUrl, max });
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
