import { createApp, RateLimits } from '@kadai/api-routes';
import { createPool, migrate, SubmissionChanges, openCatalog } from '@kadai/db';
import { checkValidators, createGraders } from '@kadai/graders';
import { createLogger, createMetrics, runService } from '@kadai/observability';
import { LtiKeys, LtiPassback } from '@kadai/lti';
import { GradingQueues, unavailableLabs, unsafeWorkers } from '@kadai/queue';
import Redis from 'ioredis';
import { readApiConfig } from './config';

runService(async () => {
  const config = readApiConfig();
  const log = createLogger('kadai-api', config.logLevel);
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, config.dbPoolSize, (err) => log.warn({ err }, 'an idle PostgreSQL connection was closed; the pool opens another'));
  // a refused lab folder is logged (file:line:col), never fatal: the others and the published versions grade
  const { labs, warnings } = await openCatalog(db, config.labsDir, checkValidators);
  for (const warning of warnings) log.warn(warning);
  // Fail fast instead of queueing commands while Redis is away: Postgres keeps the submission and the sweeper enqueues it.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise<void>((resolve, reject) => redis.once('ready', resolve).once('error', reject));
  const queues = new GradingQueues(redis, config.retry, config.queuePrefix);
  const changes = new SubmissionChanges(config.databaseUrl);
  await changes.start();
  const ltiKeys = new LtiKeys(db, config.lti.keyRotationMs);
  const passback = new LtiPassback(db, ltiKeys, log, config.lti.passbackIntervalMs);
  passback.start();
  const app = createApp({
    db,
    queues,
    labs,
    graders: createGraders(config.parsersBin ? { docker: { parsersBin: config.parsersBin } } : {}),
    changes,
    log,
    metrics: createMetrics(),
    limits: config.limits,
    lookupCacheMs: config.lookupCacheMs,
    freeErrorCap: config.freeErrorCap,
    tokenCacheSize: config.tokenCacheSize,
    rateLimits: new RateLimits(redis, config.rateLimits, `${config.queuePrefix}:rate`),
    trustProxy: config.trustProxy,
    webhookPolicy: config.webhookPolicy,
    lti: { keys: ltiKeys },
    pingRedis: async () => void (await redis.ping()),
    unsafeSandboxes: async () => (await unsafeWorkers(redis, config.queuePrefix)).map((w) => `worker ${w.workerId}: ${w.problems.join('; ')}`),
    // read at most every 2 s (workers report every minute): one Redis read per submission cost ~20 % of intake (bench/api-submit)
    unavailableLabs: cachedFor(2_000, () => unavailableLabs(redis, config.queuePrefix)),
  });
  const server = app.listen(config.port, config.host, () => log.info({ host: config.host, port: config.port, labs: labs.size }, 'kadai api listening'));
  server.keepAliveTimeout = 65_000;

  return async () => {
    log.info('shutting down');
    server.close();
    server.closeIdleConnections();
    await Promise.allSettled([changes.close(), queues.close(), passback.stop()]);
    redis.disconnect();
    await db.end();
  };
});

/** `read`'s answer kept for `ms`; a failed read is not kept. */
function cachedFor<T>(ms: number, read: () => Promise<T>): () => Promise<T> {
  let kept: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!kept || Date.now() - kept.at > ms) {
      const value = read();
      kept = { at: Date.now(), value };
      value.catch(() => kept?.value === value && (kept = undefined));
    }
    return kept.value;
  };
}
