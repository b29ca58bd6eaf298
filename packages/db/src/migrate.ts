import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client } from 'pg';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
/** node-pg-migrate's own lock id: a kadai of an older release migrating at the same time is waited for too. */
const MIGRATION_LOCK_ID = '7241865325823964';

/**
 * Brings the schema up to date. Safe to call from every process at start-up: callers wait for each
 * other on a session advisory lock (released if the holder dies). node-pg-migrate's own lock only
 * tries once and throws "Another migration is already running", which stopped a worker that started
 * while another was migrating (seen in the chaos run), so it is taken here, blocking, instead.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await runner({
      dbClient: client,
      noLock: true,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      count: Infinity,
      log: () => undefined,
    });
  } finally {
    // ending the session releases the lock, also when a migration failed
    await client.end();
  }
}
