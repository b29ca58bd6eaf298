import { oldestQueuedAges } from '@kadai/db';
import { readiness } from '@kadai/observability';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import type { ApiDeps } from '../deps';

const readyAnswer = z.object({ status: z.enum(['ready', 'not ready']), postgres: z.string(), redis: z.string(), sandbox: z.string() });

export function healthRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  api.get('/healthz', { summary: 'Liveness', auth: false, answers: { 200: { description: 'ok', schema: z.object({ status: z.literal('ok') }) } } }, (_req, res) => {
    res.json({ status: 'ok' });
  });
  api.get(
    '/readyz',
    {
      summary: 'Readiness: Postgres and Redis answer, and no worker reports its Docker sandbox limits missing',
      auth: false,
      answers: { 200: { description: 'ready', schema: readyAnswer }, 503: { description: 'not ready', schema: readyAnswer } },
    },
    async (_req, res) => {
      const { checks } = await readiness({ postgres: () => deps.db.query('SELECT 1'), redis: deps.pingRedis });
      const { postgres, redis } = checks;
      // a worker grading without its sandbox limits must not look ready
      const unsafe = redis === 'ok' ? await deps.unsafeSandboxes().catch((e: unknown) => [`unknown: ${(e as Error).message}`]) : [];
      const sandbox = unsafe.length === 0 ? 'ok' : `unsafe: ${unsafe.join('; ')}`;
      const ready = postgres === 'ok' && redis === 'ok' && sandbox === 'ok';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', postgres, redis, sandbox });
    },
  );
  api.get('/metrics', { summary: 'Prometheus metrics', auth: false, answers: { 200: { description: 'Prometheus text exposition format', schema: { type: 'string' }, type: 'text/plain' } } }, async (_req, res) => {
    const depths = await deps.queues.depths().catch(() => []);
    deps.metrics.queueDepth.reset();
    for (const d of depths) deps.metrics.queueDepth.set({ queue: d.queue, state: d.state }, d.count);
    const ages = await oldestQueuedAges(deps.db).catch((err: unknown) => {
      deps.log.warn({ err }, 'metrics: could not read the queued submissions from PostgreSQL');
      return new Map<string, number>();
    });
    for (const [kind, age] of ages) deps.metrics.oldestQueuedAge.set({ kind }, age);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return api;
}
