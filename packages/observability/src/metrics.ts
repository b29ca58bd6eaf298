import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  queueDepth: Gauge<'queue' | 'state'>;
  gradingDuration: Histogram<'kind'>;
  gradingOutcomes: Counter<'kind' | 'outcome'>;
  submissionsAccepted: Counter<'kind'>;
}

/** One registry per process; the api exposes queue depth, the worker grading durations and outcomes. */
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
  };
}
