import { KadaiClient } from '@kadai/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import Redis from 'ioredis';
import { compiledEntry } from './compiled';

const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN_DB = process.env.KADAI_TEST_ADMIN_DATABASE_URL ?? 'postgres://kadai:kadai@127.0.0.1:5432/postgres';
const REDIS_BASE = process.env.KADAI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The workers grade kubernetes labs as kadai's fenced identity (infra/cluster), never as cluster-admin. */
const WORKER_KUBECONFIG = `${process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster'}/kadai-worker.kubeconfig`;
/** Extra node flags for the spawned processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile. */
const NODE_ARGS = (process.env.KADAI_NODE_ARGS ?? '').split(' ').filter(Boolean);

export type Tokens = Record<'admin' | 'sensei' | 'student1' | 'student2' | 'lms', string>;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

// 180 s: the api and a worker took over 30 s to answer at load 14, and over 90 s at load 22 (started from source through tsx then)
async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new, empty Postgres database for one test file of this run (named with the pid, so two
 * checkouts testing at once never share one). Databases left by runs that died are dropped.
 */
export async function createTestDatabase(name: string, adminUrl = ADMIN_DB): Promise<string> {
  const dbName = `kadai_test_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'kadai\\_test\\_%'`);
  for (const { datname } of rows) {
    const pid = Number(/_(\d+)$/.exec(datname)?.[1]);
    if (datname === dbName || (pid && !alive(pid))) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  return adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
}

export async function dropTestDatabase(databaseUrl: string, adminUrl = ADMIN_DB): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
  await admin.end();
}

export interface Stack {
  apiUrl: string;
  queuePrefix: string;
  databaseUrl: string;
  redisUrl: string;
  tokens: Tokens;
  client(who: keyof Tokens): KadaiClient;
  /** Starts one more worker process; its env overrides the defaults. */
  startWorker(env?: Record<string, string>): Promise<ChildProcess>;
  /** What a process of the stack has logged so far ('api', or a worker's KADAI_WORKER_ID). */
  logOf(process: string): string;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  redis: Redis;
  stop(): Promise<void>;
}

/**
 * Tests' default: 3 tries 200 ms apart, so a test of an infrastructure failure ends `error` in
 * seconds (kadai's own default spans 30 s). The api sets a job's tries when it enqueues it.
 */
const TEST_RETRIES = { KADAI_RETRY_ATTEMPTS: '3', KADAI_RETRY_BACKOFF_MS: '200' };

/**
 * A real kadai stack for one test file: a fresh Postgres database, its own Redis database index,
 * the api process and worker processes (compiled from the sources as they are: ./compiled), and the demo course seeded.
 */
export async function startStack(
  name: string,
  options: {
    redisDb: number;
    workers?: number;
    workerEnv?: Record<string, string>;
    apiEnv?: Record<string, string>;
    /** Labs of this test instead of the repository's. */
    labsDir?: string;
    /** PostgreSQL and Redis of this test's own (the chaos suite restarts them) instead of the shared ones. */
    services?: { adminDatabaseUrl: string; redisUrl: string };
  },
): Promise<Stack> {
  const adminUrl = options.services?.adminDatabaseUrl ?? ADMIN_DB;
  const databaseUrl = await createTestDatabase(name, adminUrl);
  const redisUrl = `${options.services?.redisUrl ?? REDIS_BASE}/${options.redisDb}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // This run's own key space in Redis: two checkouts testing at once never touch each other's queues.
  const queuePrefix = `kadai-test-${name}-${process.pid}`;

  const port = await freePort();
  const logDir = mkdtempSync(path.join(tmpdir(), `kadai-${name}-`));
  const baseEnv = { ...process.env, KADAI_KUBECONFIG: WORKER_KUBECONFIG, KADAI_DATABASE_URL: databaseUrl, KADAI_REDIS_URL: redisUrl, KADAI_LABS_DIR: options.labsDir ?? path.join(ROOT, 'labs'), KADAI_LOG_LEVEL: 'info', KADAI_QUEUE_PREFIX: queuePrefix, ...TEST_RETRIES };
  const children: ChildProcess[] = [];
  const run = (script: string, args: string[], env: Record<string, string | undefined>, log: string) => {
    const child = spawn(process.execPath, [...NODE_ARGS, compiledEntry(script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(path.join(logDir, log), { flags: 'a' });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

  const tokensFile = path.join(logDir, 'tokens.json');
  const seed = run('apps/api/src/seed-demo.ts', [tokensFile], baseEnv, 'seed.log');
  if ((await exited(seed)) !== 0) throw new Error(`seeding failed; see ${logDir}/seed.log`);
  const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as Tokens;

  run('apps/api/src/main.ts', [], { ...baseEnv, KADAI_API_PORT: String(port), ...options.apiEnv }, 'api.log');
  const apiUrl = `http://127.0.0.1:${port}`;
  await waitFor('api', async () => (await fetch(`${apiUrl}/readyz`)).ok);

  let workerCount = 0;
  const startWorker = async (env: Record<string, string> = {}) => {
    const id = env.KADAI_WORKER_ID ?? `test-worker-${++workerCount}`;
    const metricsPort = env.KADAI_WORKER_METRICS_PORT ? Number(env.KADAI_WORKER_METRICS_PORT) : await freePort();
    const child = run('apps/worker/src/main.ts', [], { ...baseEnv, KADAI_PUBLIC_URLS: apiUrl, KADAI_WORKER_ID: id, KADAI_WORKER_METRICS_PORT: String(metricsPort), ...options.workerEnv, ...env }, `${id}.log`);
    await waitFor(id, async () => (await fetch(`http://127.0.0.1:${metricsPort}/`)).ok);
    return child;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

  // A pool, not one connection: it reconnects after PostgreSQL restarts (the chaos suite restarts it).
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined); // an idle connection cut by a restart: the next query opens another
  return {
    apiUrl,
    queuePrefix,
    databaseUrl,
    redisUrl,
    tokens,
    redis,
    startWorker,
    logOf: (process) => readFileSync(path.join(logDir, `${process}.log`), 'utf8'),
    client: (who) => new KadaiClient(apiUrl, tokens[who]),
    sql: async (text, params) => (await pool.query(text, params)).rows,
    stop: async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.all(children.map(exited));
      await pool.end();
      await deleteKeys(redis, `${queuePrefix}:*`);
      redis.disconnect();
      await dropTestDatabase(databaseUrl, adminUrl);
    },
  };
}

/** Deletes every key matching a pattern (this run's queues), leaving the rest of Redis alone. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await redis.del(...keys);
  }
  return deleted;
}

/** The correct answers of a quiz lab, from its shipped solution. */
export function solutionAnswers(labId: string): Record<string, string[]> {
  return JSON.parse(readFileSync(path.join(ROOT, 'labs', labId, 'solution', 'answers.json'), 'utf8')).answers;
}

export const REPO_ROOT = ROOT;

/** Worker settings that lose a stalled worker's lock and lease within seconds, for tests that stall one. */
export const FAST_LEASE_ENV: Record<string, string> = {
  KADAI_LOCK_DURATION_MS: '1000',
  KADAI_STALLED_INTERVAL_MS: '500',
  KADAI_SWEEP_INTERVAL_MS: '300',
  KADAI_SWEEP_QUEUED_AFTER_MS: '1000',
  KADAI_HEARTBEAT_MS: '300',
  KADAI_LEASE_MS: '1500',
};
