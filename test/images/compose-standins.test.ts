import { Client } from 'pg';
import { docker, removeStarted, runDetached, runOnce } from './helpers';

// The stand-ins docker-compose.yaml starts (infra/compose/README.md), checked for what the file
// relies on, as upstream's images behave: postgres:15 takes its user, password and database from the
// environment on the first start, keeps its data in /var/lib/postgresql/data, answers pg_isready
// and asks for the password over the network; redis:7 runs the command line it is given, with
// redis-cli beside it.

afterAll(removeStarted);

/** Retries until `attempt` succeeds (a container needs a moment to initialise). */
async function eventually<T>(attempt: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('postgres:15 (upstream: the official image\'s entrypoint)', () => {
  test('POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB make the user and database; password auth over TCP; data in PGDATA; pg_isready', async () => {
    const { id, port } = await runDetached('postgres:15', 5432, ['-e', 'POSTGRES_USER=kadai', '-e', 'POSTGRES_PASSWORD=s3cret', '-e', 'POSTGRES_DB=grades']);
    const row = await eventually(async () => {
      const client = new Client({ host: '127.0.0.1', port, user: 'kadai', password: 's3cret', database: 'grades' });
      await client.connect();
      try {
        return (await client.query<{ db: string; usr: string; version: string }>('SELECT current_database() AS db, current_user AS usr, current_setting(\'server_version_num\') AS version')).rows[0];
      } finally {
        await client.end();
      }
    });
    expect(row).toMatchObject({ db: 'grades', usr: 'kadai' });
    expect(row?.version).toMatch(/^15\d{4}$/);
    expect(await docker(['exec', id, 'pg_isready', '-U', 'kadai'])).toMatch(/accepting connections/);
    expect(await docker(['exec', id, 'cat', '/var/lib/postgresql/data/PG_VERSION'])).toBe('15');
    // the server (the container's first process) runs as postgres, not root
    expect(await docker(['exec', id, 'stat', '-c', '%U %n', '/proc/1/exe'])).toBe('postgres /proc/1/exe');
    const wrong = new Client({ host: '127.0.0.1', port, user: 'kadai', password: 'wrong', database: 'grades' });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await wrong.end().catch(() => undefined);
  });

  test('without POSTGRES_PASSWORD it refuses to initialise, as upstream does', async () => {
    await expect(runOnce('postgres:15', [])).rejects.toThrow(/superuser password is not specified/);
  });
});

describe('redis:7', () => {
  test('runs the redis-server command line it is given; redis-cli answers', async () => {
    const { id } = await runDetached('redis:7', 6379, [], ['redis-server', '--save', '', '--appendonly', 'no']);
    expect(await eventually(() => docker(['exec', id, 'redis-cli', 'ping']))).toBe('PONG');
    expect(await docker(['exec', id, 'redis-cli', 'config', 'get', 'appendonly'])).toBe('appendonly\nno');
    expect(await docker(['exec', id, 'redis-server', '--version'])).toMatch(/v=7\./);
  });
});
