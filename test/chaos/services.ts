/**
 * PostgreSQL and Redis of the chaos run's own: the suite restarts and flushes them, which it must
 * never do to the machine's shared instances (other test runs use those at the same time). Both are
 * the Debian binaries infra/services installs, on free ports, with their data in a temporary folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { freePort } from '../support/stack';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** A redis-server on a free port with no persistence: a restart is also a flush. */
export class PrivateRedis {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'kadai-chaos-redis-')));
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('private redis', async () => {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    });
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Killed (no shutdown save: nothing is kept) and started again empty. */
  async restartFlushed(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
function postgresBin(tool: string): string {
  const majors = readdirSync('/usr/lib/postgresql').filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b));
  if (majors.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql (infra/services/up installs it)');
  return `/usr/lib/postgresql/${majors.at(-1)}/bin/${tool}`;
}

/** A PostgreSQL cluster of its own (initdb as the postgres user; trust on loopback), on a free port. */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-chaos-pg-'));
    chownSync(dir, uid('postgres'), gid('postgres'));
    const pg = new PrivatePostgres(await freePort(), dir);
    pg.asPostgres(postgresBin('initdb'), ['-D', pg.data, '-U', 'kadai', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await pg.launch();
    return pg;
  }

  get adminUrl(): string {
    return `postgres://kadai:kadai@127.0.0.1:${this.port}/postgres`;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private asPostgres(bin: string, args: string[]): void {
    // from / : the caller's folder may be closed to the postgres user
    execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd: '/', stdio: 'pipe' });
  }

  private async launch(): Promise<void> {
    const options = `-c port=${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c max_connections=300`;
    this.asPostgres(postgresBin('pg_ctl'), ['-D', this.data, '-l', path.join(this.dir, 'postgres.log'), '-o', options, '-w', '-t', '120', 'start']);
    await until('private postgres', async () => {
      const client = new Client({ connectionString: this.adminUrl });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    });
  }

  /** Stopped at once (`immediate`: as if it crashed, the next start recovers from the WAL) and started again. */
  async restart(): Promise<void> {
    this.asPostgres(postgresBin('pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    await this.launch();
  }

  async stop(): Promise<void> {
    try {
      this.asPostgres(postgresBin('pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

const uid = (user: string) => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
const gid = (user: string) => Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
