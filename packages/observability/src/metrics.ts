import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  queueDepth: Gauge<'queue' | 'state'>;
  gradingDuration: Histogram<'kind'>;
  gradingOutcomes: Counter<'kind' | 'outcome'>;
  submissionsAccepted: Counter<'kind'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  oldestQueuedAge: Gauge<'kind'>;
  reaperRemoved: Counter<'kind' | 'resource'>;
}

/**
 * One registry per process; the api exposes queue depth and age and its HTTP requests, the worker
 * grading durations and outcomes and what its reapers removed. infra/alerts/kadai.rules.yaml alerts on them.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    queueDepth: new Gauge({
      name: 'kadai_queue_depth',
      help: 'Jobs per grading queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    gradingDuration: new Histogram({
      name: 'kadai_grading_duration_seconds',
      help: 'Time to grade one attempt, per lab kind',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300],
      registers: [registry],
    }),
    gradingOutcomes: new Counter({
      name: 'kadai_grading_outcomes_total',
      help: 'Finished gradings per lab kind and outcome (graded, error, rejected, retried, duplicate)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    submissionsAccepted: new Counter({
      name: 'kadai_submissions_accepted_total',
      help: 'Submissions accepted and queued, per lab kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    // its _count is the request count; `route` is the route's template (/v1/submissions/:id), never the path
    httpRequestDuration: new Histogram({
      name: 'kadai_http_request_duration_seconds',
      help: 'HTTP requests answered by the api, per method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    oldestQueuedAge: new Gauge({
      name: 'kadai_oldest_queued_submission_age_seconds',
      help: 'How long the oldest submission still queued (in PostgreSQL) has waited, per lab kind; 0 when none waits',
      labelNames: ['kind'],
      registers: [registry],
    }),
    reaperRemoved: new Counter({
      name: 'kadai_reaper_removed_total',
      help: 'Resources housekeeping removed because their grading run did not (a crashed or stalled worker), per lab kind and resource',
      labelNames: ['kind', 'resource'],
      registers: [registry],
    }),
  };
}
