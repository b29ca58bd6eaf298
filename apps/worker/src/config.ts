import { fields, loadConfig, serviceEnv } from '@kadai/config';
import { hostname } from 'node:os';
import { z } from 'zod';

const schema = z
  .object({
    ...serviceEnv,
    KADAI_WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
    KADAI_WORKER_METRICS_PORT: fields.port.default(9464),
    KADAI_CONCURRENCY_QUIZ: fields.positiveInt.default(8),
    KADAI_CONCURRENCY_DOCKER: fields.positiveInt.default(2),
    KADAI_CONCURRENCY_KUBERNETES: fields.positiveInt.default(2),
    KADAI_RETRY_ATTEMPTS: fields.positiveInt.default(3),
    KADAI_LOCK_DURATION_MS: fields.positiveInt.default(30_000),
    KADAI_STALLED_INTERVAL_MS: fields.positiveInt.default(30_000),
    KADAI_HEARTBEAT_MS: fields.positiveInt.default(10_000),
    KADAI_SWEEP_INTERVAL_MS: fields.positiveInt.default(15_000),
    KADAI_SWEEP_QUEUED_AFTER_MS: fields.positiveInt.default(60_000),
    KADAI_SWEEP_RUNNING_AFTER_MS: fields.positiveInt.default(60_000),
    KADAI_SHUTDOWN_GRACE_MS: fields.milliseconds.default(30_000),
    KADAI_FAULT_DELAY_MS: fields.milliseconds.default(0),
  })
  .transform((env) => ({
    databaseUrl: env.KADAI_DATABASE_URL,
    redisUrl: env.KADAI_REDIS_URL,
    labsDir: env.KADAI_LABS_DIR,
    logLevel: env.KADAI_LOG_LEVEL,
    workerId: env.KADAI_WORKER_ID,
    metricsPort: env.KADAI_WORKER_METRICS_PORT,
    concurrency: { quiz: env.KADAI_CONCURRENCY_QUIZ, docker: env.KADAI_CONCURRENCY_DOCKER, kubernetes: env.KADAI_CONCURRENCY_KUBERNETES },
    retryAttempts: env.KADAI_RETRY_ATTEMPTS,
    lockDurationMs: env.KADAI_LOCK_DURATION_MS,
    stalledIntervalMs: env.KADAI_STALLED_INTERVAL_MS,
    heartbeatMs: env.KADAI_HEARTBEAT_MS,
    sweeper: {
      intervalMs: env.KADAI_SWEEP_INTERVAL_MS,
      queuedTimeoutMs: env.KADAI_SWEEP_QUEUED_AFTER_MS,
      runningTimeoutMs: env.KADAI_SWEEP_RUNNING_AFTER_MS,
    },
    shutdownGraceMs: env.KADAI_SHUTDOWN_GRACE_MS,
    faultDelayMs: env.KADAI_FAULT_DELAY_MS,
  }));

export type WorkerConfig = z.infer<typeof schema>;
export const readWorkerConfig = (env: NodeJS.ProcessEnv = process.env): WorkerConfig => loadConfig(schema, env);
