import type { LabKind } from '@kadai/catalog';
import { createPool, labsInService, migrate, releasedRuns, removeEndedSecretFiles, removeOldSubmissionFiles, openCatalog } from '@kadai/db';
import type { DockerGrader, SafetyStatus } from '@kadai/grader-docker';
import { checkValidators, createGraders, startGraders, type Graders } from '@kadai/graders';
import { createLogger, createMetrics, runService, serveProbes } from '@kadai/observability';
import { gradingJob, GradingQueues, publishWorkerSafety, queueName, startSweeper, withdrawWorkerSafety } from '@kadai/queue';
import { runJob, type RunnerDeps } from '@kadai/runner';
import { startWebhookDelivery } from '@kadai/webhooks';
import { UnrecoverableError, Worker } from 'bullmq';
import Redis from 'ioredis';
import { startAvailabilityReports } from './availability';
import { readWorkerConfig } from './config';

runService(async () => {
  const config = readWorkerConfig();
  const log = createLogger('kadai-worker', config.logLevel).child({ workerId: config.workerId });
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 10, (err) => log.warn({ err }, 'an idle PostgreSQL connection was closed; the pool opens another'));
  // a refused lab folder is logged (file:line:col), never fatal: the others and the published versions grade
  const { labs, warnings } = await openCatalog(db, config.labsDir, checkValidators);
  for (const warning of warnings) log.warn(warning);
  const metrics = createMetrics();
  const allGraders = createGraders({ docker: config.docker, kubernetes: config.kubernetes });
  const graders = Object.fromEntries(config.kinds.only.map((kind) => [kind, allGraders[kind]])) as Graders;
  const gradesDocker = graders.docker !== undefined;
  if (gradesDocker && config.kinds.named) await requireEngine(allGraders.docker, config.docker.socketPath);
  // Leftovers of grading runs whose lease is over (finished, requeued or taken over, e.g. from a
  // crashed or stalled worker) are removed at start and from time to time by each grader's hooks.
  const stopHousekeeping = startGraders(graders, {
    log,
    releasedRuns: (runs) => releasedRuns(db, runs),
    reaped: (kind, resource, count) => metrics.reaperRemoved.inc({ kind, resource }, count),
  });
  const deps: RunnerDeps = { db, labs, graders, log, metrics, workerId: config.workerId, heartbeatMs: config.heartbeatMs, leaseMs: config.leaseMs, faultDelayMs: config.faultDelayMs };

  // Workers block on Redis, so BullMQ wants unlimited retries per request on their connection.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });

  // The docker sandbox's limits are verified at start (docker attempts wait for it) and every
  // KADAI_DOCKER_SAFETY_CHECK_MS; the result goes to Redis (the API's /readyz) and this worker's /readyz.
  const dockerSafety = allGraders.docker.safety;
  const publishSafety = (status: SafetyStatus) =>
    publishWorkerSafety(connection, config.queuePrefix, { workerId: config.workerId, ...status }, config.dockerSafetyCheckMs * 3).catch((err: unknown) => log.warn({ err }, 'could not publish the sandbox safety status'));
  dockerSafety.onChange = (status) => void publishSafety(status);
  const checkSafety = async () => {
    const status = await dockerSafety.selfTest(log);
    await publishSafety(status);
    return status;
  };
  // not awaited: quiz jobs need no sandbox; docker attempts wait for this first probe (SandboxSafety)
  // (a worker without docker grading has no sandbox to check: its /readyz stays ready)
  if (gradesDocker) void checkSafety().then((status) => status.ok && log.info('docker sandbox limits verified (host isolation, build cgroup with pids limit, btrfs disk limits)'));
  const safetyTimer = gradesDocker ? setInterval(() => void checkSafety(), config.dockerSafetyCheckMs) : undefined;
  safetyTimer?.unref();
  const shutdown = new AbortController();
  const workers = (Object.keys(graders) as LabKind[]).map(
    (kind) =>
      new Worker(
        queueName(kind),
        async (job) => {
          const parsed = gradingJob.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError(`malformed job ${job.id}: ${parsed.error.message}`);
          return runJob(deps, { job: parsed.data, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, signal: shutdown.signal });
        },
        {
          connection,
          prefix: config.queuePrefix,
          concurrency: config.concurrency[kind],
          lockDuration: config.lockDurationMs,
          stalledInterval: config.stalledIntervalMs,
          maxStalledCount: 3,
        },
      ),
  );
  for (const worker of workers) worker.on('error', (err) => log.error({ err }, 'queue connection error'));

  const queues = new GradingQueues(new Redis(config.redisUrl, { maxRetriesPerRequest: 1 }), config.retry, config.queuePrefix);
  const stopSweeper = startSweeper(db, queues, config.sweeper, log);
  // credentials of ended submissions that a stopped worker did not erase go at the sweeper's pace
  const secretsTimer = setInterval(() => {
    removeEndedSecretFiles(db).then(
      (n) => n > 0 && log.info({ files: n }, 'credentials of ended submissions erased'),
      (err: unknown) => log.warn({ err }, 'could not erase the credentials of ended submissions'),
    );
  }, config.sweeper.intervalMs);
  secretsTimer.unref();
  // retention: old submissions' stored files go (grades stay); each worker runs it, the statement is idempotent
  const retention = config.retention;
  const retentionTimer = retention
    ? setInterval(() => {
        removeOldSubmissionFiles(db, retention.filesDays).then(
          (n) => n > 0 && log.info({ submissions: n, olderThanDays: retention.filesDays }, 'retention: stored files of old submissions removed'),
          (err: unknown) => log.warn({ err }, 'retention: could not remove old submission files'),
        );
      }, retention.intervalMs)
    : undefined;
  retentionTimer?.unref();
  // the course webhooks' outbox, written with each grade, is sent from here
  const { enabled: webhooksEnabled, ...webhookOptions } = config.webhooks;
  const stopWebhooks = webhooksEnabled ? startWebhookDelivery({ db, databaseUrl: config.databaseUrl, log: log.child({ component: 'webhooks' }), ...webhookOptions }) : async () => undefined;
  // /healthz, /readyz (Postgres, Redis, and each grader's engine or cluster) and /metrics, for probes and scrapers
  const graderChecks = Object.fromEntries(Object.values(graders).flatMap((g) => (g.ready ? [[g.kind, () => g.ready!()]] : [])));
  const probeServer = serveProbes({
    host: config.metricsHost,
    port: config.metricsPort,
    registry: metrics.registry,
    checks: { postgres: () => db.query('SELECT 1'), redis: () => connection.ping(), ...graderChecks },
    details: () => (gradesDocker ? { dockerSandbox: dockerSafety.status } : {}),
  });
  const stopAvailability = startAvailabilityReports({ graders, labsInService: () => labsInService(db, labs), redis: connection, prefix: config.queuePrefix, workerId: config.workerId, log, intervalMs: config.labAvailabilityIntervalMs });
  log.info({ kinds: Object.keys(graders), labs: labs.size }, 'kadai worker started');

  // SIGTERM: stop taking jobs and let running ones finish; past the grace period, abort them so they
  // are released back to the queue (recorded as a retry, never as a student's failure).
  return async () => {
    log.info('shutting down');
    const grace = setTimeout(() => shutdown.abort(), config.shutdownGraceMs);
    await Promise.allSettled(workers.map((w) => w.close()));
    clearTimeout(grace);
    stopHousekeeping();
    if (safetyTimer) clearInterval(safetyTimer);
    await withdrawWorkerSafety(connection, config.queuePrefix, config.workerId).catch(() => undefined);
    await stopAvailability();
    clearInterval(retentionTimer);
    clearInterval(secretsTimer);
    await stopSweeper();
    await stopWebhooks();
    await queues.close();
    probeServer.close();
    connection.disconnect();
    await db.end();
  };
});

/**
 * A worker deployed to grade docker labs is useless without its engine: it refuses to start (the
 * Pod restarts and shows why) instead of taking jobs it would only retry into `error`.
 */
async function requireEngine(grader: DockerGrader, socketPath: string): Promise<void> {
  const timeout = AbortSignal.timeout(10_000);
  const answered = await Promise.race([
    grader.docker.ping().then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err))),
    new Promise<string>((resolve) => timeout.addEventListener('abort', () => resolve('no answer within 10 s'))),
  ]);
  if (answered !== undefined) {
    throw new Error(
      `KADAI_WORKER_KINDS names docker, but no Docker engine answers on ${socketPath} (KADAI_DOCKER_SOCKET): ${answered}. ` +
        'A docker worker needs a dedicated engine of its own (deploy/helm/kadai/README.md, "Docker-lab workers").',
    );
  }
}
