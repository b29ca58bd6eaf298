import { findStuck, touch, type Db } from '@kadai/db';
import type { Logger } from '@kadai/observability';
import type { GradingQueues } from './queues';

export interface SweeperOptions {
  intervalMs: number;
  /** A submission queued for this long without being picked up has lost its job (e.g. a Redis flush). */
  queuedTimeoutMs: number;
}

/**
 * One pass: re-enqueue what Postgres says is waiting but Redis no longer carries, and running runs
 * whose lease ran out (their worker died or stalled). A run under a live lease is left alone.
 */
export async function sweepOnce(db: Db, queues: GradingQueues, options: SweeperOptions, log: Logger): Promise<number> {
  const stuck = await findStuck(db, options.queuedTimeoutMs);
  let added = 0;
  for (const s of stuck) {
    const outcome = await queues.ensureEnqueued(s.kind, { submissionId: s.id, run: s.run });
    await touch(db, s.id, s.run, outcome === 'added');
    if (outcome === 'added') {
      added++;
      log.warn({ submissionId: s.id, run: s.run, was: s.state }, 'sweeper re-enqueued a stuck submission');
    }
  }
  return added;
}

/** Runs `sweepOnce` every interval until the returned stop function is called. */
export function startSweeper(db: Db, queues: GradingQueues, options: SweeperOptions, log: Logger): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = sweepOnce(db, queues, options, log).catch((error) => log.error({ err: error }, 'sweep failed'));
  }, options.intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
