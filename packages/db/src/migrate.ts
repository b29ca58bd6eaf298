import path from 'node:path';
import { runner } from 'node-pg-migrate';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

/**
 * Brings the schema up to date. Safe to call from every process at start-up: node-pg-migrate takes
 * an advisory lock, so concurrent callers wait for each other instead of racing.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    log: () => undefined,
  });
}
