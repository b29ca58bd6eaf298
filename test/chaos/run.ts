/**
 * One chaos run: a real kadai stack (api and worker processes from source) on PostgreSQL and Redis
 * of its own, a mixed burst of submissions with known verdicts, and faults injected while they are
 * graded — workers SIGKILLed mid-grading (and replaced), Redis restarted empty, PostgreSQL
 * restarted, and, when allowed, kadai's Docker engine and the cluster's API server restarted.
 * After the burst settles it reports what a course would care about: every submission's outcome,
 * anything lost or graded twice, verdicts that differ from the quiet ones, and anything left on the
 * engine or the cluster. The test (chaos.test.ts) and the benchmark (bench/chaos.ts) judge it.
 */
import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import { ATTEMPT_NODE_LABEL } from '@kadai/k8s-nodes';
import { SUBMISSION_LABEL } from '@kadai/k8s-sandbox';
import { judge } from '@kadai/selftest';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { adminKube } from '../kubernetes/cluster';
import { startStack, type Stack } from '../support/stack';
import { handInSpread, knownCases, seededRandom, type Accepted, type LabKind } from './burst';
import { restartApiServer, restartEngine } from './faults';
import { PrivatePostgres, PrivateRedis } from './services';

export type ServiceFault = 'redis' | 'postgres' | 'engine' | 'apiServer';
export const SERVICE_FAULTS: readonly ServiceFault[] = ['redis', 'postgres', 'engine', 'apiServer'];

export interface ChaosPlan {
  labs: readonly string[];
  wrongPerLab: number;
  /** Each case is handed in this many times. */
  copies: number;
  workers: number;
  workerKills: number;
  /** How many times each service fault is injected (0: never). */
  serviceFaults: Record<ServiceFault, number>;
  /** Submissions arrive over this long; faults are spread over `faultWindowMs` from the start. */
  spreadMs: number;
  faultWindowMs: number;
  /**
   * The whole run's budget, start-up included: every wait ends by then, the report says what had
   * not finished, and the stack, Redis and PostgreSQL are always stopped.
   */
  budgetMs: number;
  seed: number;
  /** Worker settings of the run (concurrency per kind). */
  workerEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ChaosReport {
  plan: Omit<ChaosPlan, 'log'>;
  faultsInjected: { workerKills: number; workerKillsMidGrading: number } & Record<ServiceFault, number>;
  faultDurationsMs: Partial<Record<ServiceFault, number[]>>;
  submissions: number;
  byKind: Record<LabKind, number>;
  outcomes: { graded: number; rejected: number; error: number; unfinished: number };
  /** Handed in but never taken (the api refused for good), or taken and not found. */
  lost: string[];
  gradedTwice: string[];
  /** Graded, but not as on a quiet system (an infrastructure failure recorded as the student's, or worse). */
  verdictMismatches: string[];
  /** Ended `error` with a score or check results recorded (kadai's failure must count as none). */
  errorsWithScore: string[];
  errors: string[];
  leftovers: { docker: string[]; namespaces: string[]; fakeNodes: string[] };
  /** kadai processes that ended without being killed by the run (crashes). */
  processesDied: string[];
  submitRetries: number;
  settledAfterMs: number;
  durationMs: number;
}

/**
 * A restart of the engine or API server takes up to ~20 s: retries span ~45 s before `error`. The
 * api sets a job's attempts and backoff when it enqueues it, so it needs them as much as the workers
 * (given to the workers only, the long run's jobs kept the api's 3 attempts 200 ms apart, and four
 * Docker submissions ended `error` within one engine restart).
 */
const CHAOS_RETRY_ENV: Record<string, string> = { KADAI_RETRY_ATTEMPTS: '6', KADAI_RETRY_BACKOFF_MS: '1500' };

/** Lease and sweep timings short enough that a killed worker's run is taken over in seconds. */
const CHAOS_WORKER_ENV: Record<string, string> = {
  KADAI_LOCK_DURATION_MS: '5000',
  KADAI_STALLED_INTERVAL_MS: '2000',
  KADAI_SWEEP_INTERVAL_MS: '1000',
  KADAI_SWEEP_QUEUED_AFTER_MS: '5000',
  KADAI_HEARTBEAT_MS: '1000',
  KADAI_LEASE_MS: '6000',
  ...CHAOS_RETRY_ENV,
  KADAI_DOCKER_REAP_INTERVAL_MS: '2000',
  KADAI_KUBE_REAP_INTERVAL_MS: '2000',
};

const TERMINAL = ['graded', 'rejected', 'error'];
/** Kept from the budget for judging the verdicts and waiting for the reapers. */
const INSPECTION_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(plan: ChaosPlan): Promise<ChaosReport> {
  const log = plan.log ?? (() => undefined);
  const started = Date.now();
  const deadline = started + plan.budgetMs;
  /** What is left of the budget, keeping `reserveMs` for what comes after. */
  const left = (reserveMs = 0) => Math.max(0, deadline - reserveMs - Date.now());
  const random = seededRandom(plan.seed);
  const cases = (await knownCases(plan.labs, plan.wrongPerLab)).flatMap((c) => Array.from({ length: plan.copies }, () => c));
  const redis = await PrivateRedis.start();
  const postgres = await PrivatePostgres.start();
  let stack: Stack | undefined;
  try {
    stack = await startStack('chaos', {
      redisDb: 0,
      workers: 0,
      services: { adminDatabaseUrl: postgres.adminUrl, redisUrl: redis.url },
      workerEnv: { ...CHAOS_WORKER_ENV, ...plan.workerEnv },
      apiEnv: { ...CHAOS_RETRY_ENV, KADAI_RATE_STAFF_SUBMISSIONS: '100000', KADAI_RATE_ADDRESS_SUBMISSIONS: '100000', KADAI_RATE_STAFF_READS: '1000000', KADAI_RATE_ADDRESS_READS: '1000000' },
    });
    const workers = new WorkerPool(stack, log);
    await Promise.all(Array.from({ length: plan.workers }, () => workers.add()));
    log(`stack up with ${plan.workers} workers after ${Date.now() - started} ms; ${cases.length} submissions`);

    const observer = new ClusterObserver();
    observer.start();
    const burstStart = Date.now();
    const submitting = handInSpread(stack.client('sensei'), cases, plan.spreadMs, Math.min(plan.faultWindowMs + 120_000, left(INSPECTION_MS)), random);
    const services = { redis: () => redis.restartFlushed(), postgres: () => postgres.restart(), engine: restartEngine, apiServer: restartApiServer };
    const injected = await injectFaults(plan, services, workers, random, burstStart, log, () => left(INSPECTION_MS) > 0);
    const { accepted, refused } = await submitting;
    log(`faults done after ${Date.now() - burstStart} ms: ${JSON.stringify(injected.counts)}`);

    const settledAfterMs = await settle(stack, accepted, left(INSPECTION_MS), burstStart);
    log(`settled after ${settledAfterMs} ms`);
    const report = await inspect(stack, accepted, observer, left());
    observer.stop();
    const apiAlive = await fetch(`${stack.apiUrl}/healthz`).then((r) => r.ok, () => false);
    workers.close();
    return {
      plan: { ...plan, log: undefined } as Omit<ChaosPlan, 'log'>,
      faultsInjected: injected.counts,
      faultDurationsMs: injected.durations,
      submissions: cases.length,
      byKind: countBy(cases.map((c) => c.kind)),
      ...report,
      lost: [...report.lost, ...refused.map((r) => `${r.known.lab} ${r.known.name}: never taken (${r.error})`)],
      processesDied: [...workers.unexpectedExits, ...(apiAlive ? [] : ['the api exited by itself; see its log'])],
      submitRetries: accepted.reduce((n, a) => n + a.retries, 0),
      settledAfterMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await stack?.stop().catch((e: unknown) => log(`stopping the stack: ${String(e)}`));
    await redis.stop();
    await postgres.stop();
  }
}

function countBy(kinds: LabKind[]): Record<LabKind, number> {
  const counts: Record<LabKind, number> = { quiz: 0, docker: 0, kubernetes: 0 };
  for (const k of kinds) counts[k]++;
  return counts;
}

/** The run's workers: killed by the chaos, each replaced by a new process (a new worker id). */
class WorkerPool {
  private readonly live = new Map<string, ChildProcess>();
  private readonly starting = new Set<Promise<void>>();
  private next = 0;
  private closing = false;
  /** Workers that ended although nobody killed them (a crash is a finding of the run). */
  readonly unexpectedExits: string[] = [];
  constructor(
    private readonly stack: Stack,
    private readonly log: (line: string) => void,
  ) {}

  add(): Promise<void> {
    const id = `chaos-worker-${++this.next}`;
    const start = this.stack.startWorker({ KADAI_WORKER_ID: id }).then(
      (child) => {
        this.live.set(id, child);
        child.once('exit', (code, signal) => {
          if (this.live.delete(id) && !this.closing) this.unexpectedExits.push(`${id} exited by itself (${signal ?? `code ${code}`}); see its log`);
        });
      },
      (error: unknown) => this.log(`worker ${id} did not start: ${String(error)}`),
    );
    this.starting.add(start);
    void start.finally(() => this.starting.delete(start));
    return start;
  }

  /** SIGKILLs a live worker, one holding a running grading when there is one; starts its replacement. */
  async killOne(random: () => number): Promise<{ killed: boolean; midGrading: boolean }> {
    const grading = new Set((await this.stack.sql<{ worker_id: string }>(`SELECT DISTINCT worker_id FROM submissions WHERE state = 'running'`).catch(() => [])).map((r) => r.worker_id));
    const ids = [...this.live.keys()];
    const busy = ids.filter((id) => grading.has(id));
    const pool = busy.length > 0 ? busy : ids;
    if (pool.length === 0) return { killed: false, midGrading: false };
    const victim = pool[Math.floor(random() * pool.length)]!;
    this.live.get(victim)!.kill('SIGKILL');
    this.live.delete(victim);
    void this.add();
    return { killed: true, midGrading: busy.length > 0 };
  }

  get size(): number {
    return this.live.size;
  }

  /** From now on an exit is the stack stopping its workers. */
  close(): void {
    this.closing = true;
  }
}

async function injectFaults(
  plan: ChaosPlan,
  services: Record<ServiceFault, () => Promise<void>>,
  workers: WorkerPool,
  random: () => number,
  burstStart: number,
  log: (line: string) => void,
  inTime: () => boolean,
) {
  const counts = { workerKills: 0, workerKillsMidGrading: 0, redis: 0, postgres: 0, engine: 0, apiServer: 0 };
  const durations: Partial<Record<ServiceFault, number[]>> = {};
  // Service faults one after another at random times in the window (two at once would make a
  // restart's duration meaningless); worker kills spread evenly over it, with jitter.
  const serviceEvents = SERVICE_FAULTS.flatMap((kind) => Array.from({ length: plan.serviceFaults[kind] }, () => ({ kind, at: random() * plan.faultWindowMs }))).sort((a, b) => a.at - b.at);
  const serviceLoop = (async () => {
    for (const event of serviceEvents) {
      await sleep(burstStart + event.at - Date.now());
      if (!inTime()) break;
      const t0 = Date.now();
      log(`fault: ${event.kind} restart at +${t0 - burstStart} ms`);
      await services[event.kind]();
      (durations[event.kind] ??= []).push(Date.now() - t0);
      counts[event.kind]++;
    }
  })();
  const killLoop = (async () => {
    const every = plan.workerKills > 0 ? plan.faultWindowMs / plan.workerKills : 0;
    for (let i = 0; i < plan.workerKills; i++) {
      await sleep(burstStart + every * (i + random()) - Date.now());
      // keep at least one worker grading: the chaos is in the kills, not in having none at all
      while (workers.size < 2 && plan.workers > 1 && inTime()) await sleep(250);
      if (!inTime()) break;
      const { killed, midGrading } = await workers.killOne(random);
      if (killed) counts.workerKills++;
      if (killed && midGrading) counts.workerKillsMidGrading++;
    }
  })();
  await Promise.all([serviceLoop, killLoop]);
  return { counts, durations };
}

/** Waits until every taken submission is graded, rejected or error; resolves with ms since the burst began. */
async function settle(stack: Stack, accepted: Accepted[], timeoutMs: number, burstStart: number): Promise<number> {
  const ids = accepted.map((a) => a.id);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE id = ANY($1) AND state = ANY($2)`, [ids, TERMINAL]).catch(() => [{ n: -1 }]);
    if (rows[0]!.n === ids.length) return Date.now() - burstStart;
    await sleep(1000);
  }
  return Date.now() - burstStart;
}

/** Records the attempt namespaces of the run's submissions while they exist, to find their fake nodes after. */
class ClusterObserver {
  readonly namespaces = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private readonly core = adminKube().makeApiClient(CoreV1Api);

  start(): void {
    const tick = async () => {
      const list = await this.core.listNamespace({ labelSelector: SUBMISSION_LABEL }).catch(() => undefined);
      for (const ns of list?.items ?? []) this.namespaces.set(ns.metadata!.name!, ns.metadata!.labels![SUBMISSION_LABEL]!);
      this.timer = setTimeout(() => void tick(), 1000);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  async leftovers(submissionIds: Set<string>): Promise<{ namespaces: string[]; fakeNodes: string[] }> {
    const namespaces = (await this.core.listNamespace({ labelSelector: SUBMISSION_LABEL })).items.filter((ns) => submissionIds.has(ns.metadata!.labels![SUBMISSION_LABEL]!)).map((ns) => ns.metadata!.name!);
    const ours = new Set([...this.namespaces].filter(([, id]) => submissionIds.has(id)).map(([ns]) => ns));
    const fakeNodes = (await this.core.listNode({ labelSelector: ATTEMPT_NODE_LABEL })).items.filter((n) => ours.has(n.metadata!.labels![ATTEMPT_NODE_LABEL]!)).map((n) => n.metadata!.name!);
    return { namespaces, fakeNodes };
  }
}

interface Row {
  id: string;
  state: string;
  score: number | null;
  grading_run: number;
  graded_run: number | null;
  runs: number;
  rows: number;
  checks: number;
  error_message: string | null;
}

async function inspect(stack: Stack, accepted: Accepted[], observer: ClusterObserver, timeoutMs: number) {
  const rows = await stack.sql<Row>(
    `SELECT s.id, s.state, s.score::float8 AS score, s.grading_run, s.graded_run, s.error_message,
            count(DISTINCT r.grading_run)::int AS runs, count(r.check_id)::int AS rows, count(DISTINCT r.check_id)::int AS checks
       FROM submissions s LEFT JOIN check_results r ON r.submission_id = s.id
      WHERE s.id = ANY($1) GROUP BY s.id`,
    [accepted.map((a) => a.id)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const outcomes = { graded: 0, rejected: 0, error: 0, unfinished: 0 };
  const lost: string[] = [];
  const gradedTwice: string[] = [];
  const verdictMismatches: string[] = [];
  const errorsWithScore: string[] = [];
  const errors: string[] = [];
  const sensei = stack.client('sensei');
  for (const a of accepted) {
    const what = `${a.known.lab} ${a.known.name} (${a.id})`;
    const row = byId.get(a.id);
    if (!row) {
      lost.push(`${what}: taken but not in the database`);
      continue;
    }
    if (!TERMINAL.includes(row.state)) {
      outcomes.unfinished++;
      lost.push(`${what}: still ${row.state}`);
      continue;
    }
    outcomes[row.state as 'graded' | 'rejected' | 'error']++;
    if (row.grading_run !== 1 || row.runs > 1 || row.rows !== row.checks || (row.graded_run !== null && row.graded_run !== 1)) gradedTwice.push(`${what}: grading_run ${row.grading_run}, graded_run ${row.graded_run}, ${row.runs} runs of results, ${row.rows} rows for ${row.checks} checks`);
    if (row.state === 'error') {
      errors.push(`${what}: ${row.error_message}`);
      if (row.score !== null || row.rows > 0) errorsWithScore.push(`${what}: score ${row.score}, ${row.rows} check results`);
      continue;
    }
    const verdict = judge(await sensei.submission(a.id), a.known.expected);
    if (!verdict.ok) verdictMismatches.push(`${what}: ${verdict.detail}`);
  }

  const docker = createDockerGrader().docker;
  const ids = new Set(accepted.map((a) => a.id));
  // The reaper removes what a killed worker left once its lease is over: give it time to.
  const deadline = Date.now() + timeoutMs;
  let left: ChaosReport['leftovers'];
  for (;;) {
    const onEngine = (await Promise.all(accepted.filter((a) => a.known.kind === 'docker').map(async (a) => (await leftovers(docker, a.id)).map((l) => `${a.id}: ${l}`)))).flat();
    left = { docker: onEngine, ...(await observer.leftovers(ids)) };
    if (Object.values(left).every((l) => l.length === 0) || Date.now() > deadline) break;
    await sleep(2000);
  }
  return { outcomes, lost, gradedTwice, verdictMismatches, errorsWithScore, errors, leftovers: left };
}
