/**
 * What an operator relies on, on a real api and worker (real PostgreSQL, Redis, Docker engine and
 * cluster): the worker's /healthz and /readyz, a Docker worker's refusal to start without its
 * engine, the api's access log and request metrics, no secret — tokens, the session cookie, the
 * database password — in any log line, and a backup of the database with real submissions restored
 * into a fresh one.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { createTestDatabase, dropTestDatabase, freePort, REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';
import { until } from '../support/until';
import { compiledEntry } from '../support/compiled';

const ADMIN_DB = process.env.KADAI_TEST_ADMIN_DATABASE_URL ?? 'postgres://kadai:kadai@127.0.0.1:5432/postgres';
const NAME = 'ops_probes';
// a login of its own with a password found nowhere else, so a leak of it in a log cannot be a coincidence
const DB_ROLE = `kadai_ops_${process.pid}`;
const DB_PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const run = promisify(execFile);
const clusterTested = process.env.KADAI_TEST_CLUSTER !== '0';

let stack: Stack;
let workerPort: number;
let admin: Client;
let secretDatabaseUrl: string;

beforeAll(async () => {
  admin = new Client({ connectionString: ADMIN_DB });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${DB_ROLE}`);
  await admin.query(`CREATE ROLE ${DB_ROLE} LOGIN PASSWORD '${DB_PASSWORD}' IN ROLE kadai`);
  // the database startStack creates (its name is the test's name and this pid): api and worker log in as DB_ROLE
  const url = new URL(ADMIN_DB);
  url.username = DB_ROLE;
  url.password = DB_PASSWORD;
  url.pathname = `/kadai_test_${NAME}_${process.pid}`;
  const secretEnv = { KADAI_DATABASE_URL: url.toString(), KADAI_LOG_LEVEL: 'debug' };
  secretDatabaseUrl = url.toString();
  stack = await startStack(NAME, { redisDb: 7, workers: 0, apiEnv: secretEnv, workerEnv: secretEnv });
  workerPort = await freePort();
  await stack.startWorker({ KADAI_WORKER_METRICS_PORT: String(workerPort) });
}, 300_000); // a stack starts slowly on 2 loaded cores

afterAll(async () => {
  await stack?.stop();
  await admin.query(`DROP ROLE IF EXISTS ${DB_ROLE}`);
  await admin.end();
});

describe('the worker', () => {
  it('answers /healthz, and /readyz once PostgreSQL, Redis, the Docker engine and the cluster answer', async () => {
    const health = await fetch(`http://127.0.0.1:${workerPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${workerPort}/readyz`);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ postgres: 'ok', redis: 'ok', docker: 'ok', dockerSandbox: { ok: true } });
    if (clusterTested) {
      expect(body).toMatchObject({ status: 'ready', kubernetes: 'ok' });
      expect(ready.status).toBe(200);
    }
    expect((await fetch(`http://127.0.0.1:${workerPort}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('is not ready, naming the cluster, while its cluster does not answer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-ops-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    // a cluster address where nothing listens
    const deadPort = await freePort();
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:${deadPort}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n`,
    );
    const port = await freePort();
    const worker = await stack.startWorker({ KADAI_WORKER_ID: 'ops-no-cluster', KADAI_KUBECONFIG: kubeconfig, KADAI_WORKER_METRICS_PORT: String(port) });
    try {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', postgres: 'ok', redis: 'ok', kubernetes: expect.stringMatching(/^down: .*ECONNREFUSED/) });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      worker.kill('SIGTERM');
    }
  }, 240_000); // a worker starts slowly on 2 loaded cores

  it('refuses to start, naming the socket, when it is to grade Docker labs and no engine answers', async () => {
    const socket = path.join(mkdtempSync(path.join(tmpdir(), 'kadai-ops-')), 'no-engine.sock');
    const env = { ...process.env, KADAI_DATABASE_URL: secretDatabaseUrl, KADAI_REDIS_URL: stack.redisUrl, KADAI_QUEUE_PREFIX: stack.queuePrefix, KADAI_LABS_DIR: path.join(REPO_ROOT, 'labs'), KADAI_WORKER_ID: 'ops-no-engine', KADAI_WORKER_KINDS: 'docker', KADAI_DOCKER_SOCKET: socket, KADAI_WORKER_METRICS_PORT: String(await freePort()) };
    const refusal = await run(process.execPath, [compiledEntry('apps/worker/src/main.ts')], { env, timeout: 200_000 }).then(
      () => undefined,
      (error: Error & { code?: number; stderr?: string }) => error,
    );
    expect(refusal?.code).toBe(1);
    expect(refusal?.stderr).toContain(`KADAI_WORKER_KINDS names docker, but no Docker engine answers on ${socket} (KADAI_DOCKER_SOCKET)`);
  }, 240_000); // started from source on 2 loaded cores: it migrates and reads the labs before it asks the engine
});

describe('the api', () => {
  let submissionId: string;

  beforeAll(async () => {
    const client = stack.client('student1');
    const accepted = await client.submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    submissionId = accepted.id;
    expect(await client.waitForResult(submissionId, 120_000)).toMatchObject({ state: 'graded' });
    expect((await fetch(`${stack.apiUrl}/v1/submissions/${submissionId}`, { headers: { authorization: `Bearer ${stack.tokens.student1}` } })).status).toBe(200);
    // a session cookie and a wrong token too, for the secrets test below
    const signIn = await fetch(`${stack.apiUrl}/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(stack.tokens.student1)}` });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^kadai_session=./);
    expect((await fetch(`${stack.apiUrl}/`, { headers: { cookie } })).status).toBe(200);
    sessionCookie = cookie.split('=')[1]!;
    expect((await fetch(`${stack.apiUrl}/v1/labs?token=${wrongToken}`, { headers: { authorization: `Bearer ${wrongToken}` } })).status).toBe(401);
    expect((await fetch(`${stack.apiUrl}/no/such/page`)).status).toBe(404);
  }, 180_000);

  it('counts and times every request by route template and status (Prometheus)', async () => {
    const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kadai_http_request_duration_seconds_count\{method="POST",route="\/v1\/submissions",status="202"\} 1$/m);
    expect(metrics).toMatch(/^kadai_http_request_duration_seconds_count\{method="GET",route="\/v1\/submissions\/:id",status="200"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^kadai_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/submissions",status="202"\} 1$/m);
    expect(metrics).toMatch(/^kadai_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1$/m);
    // the id is in no series: routes are templates
    expect(metrics).not.toContain(submissionId);
    // nothing waits: the oldest queued submission is 0 s old
    expect(metrics).toMatch(/^kadai_oldest_queued_submission_age_seconds\{kind="quiz"\} 0$/m);
  });

  it('logs one JSON line per request, through the project logger', () => {
    const lines = stack
      .logOf('api')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.component === 'http');
    expect(lines).toContainEqual(expect.objectContaining({ service: 'kadai-api', msg: 'request', method: 'POST', path: '/v1/submissions', route: '/v1/submissions', status: 202, ms: expect.any(Number) }));
    expect(lines).toContainEqual(expect.objectContaining({ method: 'GET', path: `/v1/submissions/${submissionId}`, route: '/v1/submissions/:id', status: 200 }));
    // the query string is never logged (it may carry a token)
    expect(lines).toContainEqual(expect.objectContaining({ method: 'GET', path: '/v1/labs', status: 401 }));
  });
});

const wrongToken = `kadai_wrong_${randomBytes(16).toString('hex')}`;
let sessionCookie = '';

describe('secrets', () => {
  it('appear in no log line of the api, the worker or the seed step', () => {
    const logs = ['api', 'test-worker-1', 'ops-no-cluster', 'seed'].map((p) => stack.logOf(p)).join('\n');
    expect(logs).toMatch(/"component":"http"/); // the logs were read: they hold the access log
    const secrets = { ...stack.tokens, wrongToken, sessionCookie, databasePassword: DB_PASSWORD };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length).toBeGreaterThan(8);
      expect({ what, found: logs.includes(secret) }).toEqual({ what, found: false });
    }
  });
});

describe('backup and restore (infra/backup)', () => {
  let restoredUrl: string;
  afterAll(async () => {
    if (restoredUrl) await dropTestDatabase(restoredUrl);
  });

  // what a restore must bring back: every submission with its state and score, its files byte for byte, its check results
  const snapshot = async (url: string) => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const submissions = (await db.query(`SELECT id, lab_id, state, attempt, score::text, max_score::text FROM submissions ORDER BY id`)).rows;
      const files = (await db.query(`SELECT submission_id, path, md5(content) FROM submission_files ORDER BY 1, 2`)).rows;
      const checks = (await db.query(`SELECT submission_id, grading_run, position, check_id, status, points::text FROM check_results ORDER BY 1, 2, 3`)).rows;
      const tokens = (await db.query(`SELECT count(*)::int AS n FROM api_tokens`)).rows;
      return { submissions, files, checks, tokens };
    } finally {
      await db.end();
    }
  };

  it('backs up a database with graded submissions and restores it into a fresh one, data equal', async () => {
    const before = await snapshot(stack.databaseUrl);
    expect(before.submissions.filter((s) => s.state === 'graded').length).toBeGreaterThan(0);
    expect(before.checks.length).toBeGreaterThan(0);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kadai-backup-')), 'kadai.dump');
    // the URL holds a password: it reaches libpq, never the script's output
    const backup = await run(path.join(REPO_ROOT, 'infra/backup/backup'), [secretDatabaseUrl, file]);
    expect(backup.stdout.trim()).toBe(file);
    expect(`${backup.stdout}${backup.stderr}`).not.toContain(DB_PASSWORD);

    restoredUrl = await createTestDatabase('ops_restored');
    const restore = await run(path.join(REPO_ROOT, 'infra/backup/restore'), [file, restoredUrl]);
    expect(restore.stderr).toMatch(/restored/);
    expect(await snapshot(restoredUrl)).toEqual(before);

    // never on top of data: a second restore into the same database is refused, and changes nothing
    const again = await run(path.join(REPO_ROOT, 'infra/backup/restore'), [file, restoredUrl]).then(
      () => 'restored twice',
      (err: { code: number; stderr: string }) => `${err.code}: ${err.stderr}`,
    );
    expect(again).toMatch(/^1: .*already holds \d+ tables: restore into an empty database/s);
    expect(await snapshot(restoredUrl)).toEqual(before);
  }, 120_000);
});

describe('alert rules (infra/alerts/kadai.rules.yaml)', () => {
  interface Rule {
    alert?: string;
    expr?: string;
    labels?: { severity?: string };
    annotations?: { summary?: string };
  }
  const file = parse(readFileSync(path.join(REPO_ROOT, 'infra/alerts/kadai.rules.yaml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = file.groups.flatMap((g) => g.rules);

  it('name an expression, a severity and a summary for each alert, among them queue age, error rate and reaper leftovers', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect({ alert: rule.alert, expr: typeof rule.expr, severity: rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual({ alert: expect.stringMatching(/^Kadai/), expr: 'string', severity: expect.stringMatching(/^(page|warning)$/), summary: 'string' });
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const metric of ['kadai_oldest_queued_submission_age_seconds', 'kadai_grading_outcomes_total{outcome="error"}', 'kadai_reaper_removed_total']) expect(exprs).toContain(metric);
  });

  it("parse as Prometheus parses them (its rulefmt: structure, PromQL, templates); a broken expression is named by line", async () => {
    const check = path.join(REPO_ROOT, 'infra/alerts/check');
    // built from the Prometheus module on a machine's first run (~4 min on 2 cores), cached after
    const { stdout } = await run(check, [], { timeout: 15 * 60_000 });
    expect(stdout).toMatch(new RegExp(`kadai\\.rules\\.yaml: SUCCESS: ${rules.length} rules found`));
    const broken = path.join(mkdtempSync(path.join(tmpdir(), 'kadai-rules-')), 'broken.rules.yaml');
    writeFileSync(broken, readFileSync(path.join(REPO_ROOT, 'infra/alerts/kadai.rules.yaml'), 'utf8').replace(/expr: (.*)$/m, 'expr: sum(rate($1'));
    const error = (await run(check, [broken]).then(() => undefined, (e: { stderr: string; code: number }) => e))!;
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/broken\.rules\.yaml: \d+:\d+: group "[^"]+", rule 1, "Kadai\w+": could not parse expression: .*parse error/);
  }, 16 * 60_000);

  it('use only metrics the real api and worker export', async () => {
    const exported = new Set<string>();
    for (const url of [`${stack.apiUrl}/metrics`, `http://127.0.0.1:${workerPort}/metrics`]) {
      const text = await (await fetch(url)).text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name!);
        if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) exported.add(`${name}${suffix}`);
      }
    }
    const used = new Set(rules.flatMap((r) => [...(r.expr ?? '').matchAll(/\bkadai_[a-z_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(4);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});

describe('retention (KADAI_RETENTION_FILES_DAYS)', () => {
  it("removes the stored files of submissions finished longer ago than that, keeping their grades; they can no longer be regraded", async () => {
    const client = stack.client('student1');
    const recent = await client.submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    expect(await client.waitForResult(recent.id, 120_000)).toMatchObject({ state: 'graded' });
    const [old] = await stack.sql<{ id: string; score: string }>(`SELECT id, score::text FROM submissions WHERE state = 'graded' AND id <> $1 ORDER BY submitted_at LIMIT 1`, [recent.id]);
    // finished 40 days ago, as far as PostgreSQL knows
    await stack.sql(`UPDATE submissions SET finished_at = now() - interval '40 days' WHERE id = $1`, [old!.id]);
    const filesOf = async (id: string) => (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM submission_files WHERE submission_id = $1`, [id]))[0]!.n;
    const checksOf = (id: string) => stack.sql(`SELECT check_id, status, points::text FROM check_results WHERE submission_id = $1 ORDER BY grading_run, position`, [id]);
    expect(await filesOf(old!.id)).toBeGreaterThan(0);
    const checksBefore = await checksOf(old!.id);

    const port = await freePort();
    const worker = await stack.startWorker({ KADAI_WORKER_ID: 'ops-retention', KADAI_WORKER_METRICS_PORT: String(port), KADAI_RETENTION_FILES_DAYS: '30', KADAI_RETENTION_INTERVAL_MS: '300' });
    try {
      const deadline = Date.now() + 60_000;
      while ((await filesOf(old!.id)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await filesOf(old!.id)).toBe(0);
      // the recent one keeps its files; the old one its grade and checks
      expect(await filesOf(recent.id)).toBeGreaterThan(0);
      expect(await stack.sql(`SELECT state, score::text FROM submissions WHERE id = $1`, [old!.id])).toEqual([{ state: 'graded', score: old!.score }]);
      expect(await checksOf(old!.id)).toEqual(checksBefore);
      const regrade = await fetch(`${stack.apiUrl}/v1/submissions/${old!.id}/regrade`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens.sensei}`, 'content-type': 'application/json' }, body: '{}' });
      expect(regrade.status).toBe(409);
      expect(((await regrade.json()) as { detail: string }).detail).toMatch(/whose files are still stored \(see KADAI_RETENTION_FILES_DAYS\)/);
      // the worker logs it once the statement has returned; the test's copy of its output follows a moment later
      await until('the retention logged', async () => (/retention: stored files of old submissions removed/.test(stack.logOf('ops-retention')) ? true : undefined), 30_000);
    } finally {
      worker.kill('SIGTERM');
    }
  }, 300_000);
});
