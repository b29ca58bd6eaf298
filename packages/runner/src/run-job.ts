import type { Lab } from '@kadai/catalog';
import { claimRun, heartbeat, loadFiles, getSubmission, recordError, recordGrade, recordRejected, recordRetry, type Db } from '@kadai/db';
import { classify, InfrastructureError } from '@kadai/errors';
import { capEvidence, type Grader } from '@kadai/grading';
import type { Logger, Metrics } from '@kadai/observability';
import type { GradingJob } from '@kadai/queue';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunnerDeps {
  db: Db;
  labs: Map<string, Lab>;
  graders: Partial<Record<Lab['definition']['kind'], Grader>>;
  log: Logger;
  metrics: Metrics;
  workerId: string;
  heartbeatMs: number;
  /** Fault injection for tests of worker crashes: wait this long after claiming a job. 0 in production. */
  faultDelayMs: number;
}

export interface Delivery {
  job: GradingJob;
  /** 1 for the first delivery; BullMQ counts retries after infrastructure failures. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the worker shuts down. */
  signal: AbortSignal;
}

export type Outcome = 'graded' | 'rejected' | 'error' | 'retry' | 'duplicate';

/** Extra time past the lab's own limit before the grader is presumed hung (an infrastructure failure). */
const HUNG_GRACE_MS = 30_000;

/**
 * Grades one delivered job in named steps, each with its failure policy:
 * 1. claim the run in Postgres — already finished: a duplicate delivery, nothing to do;
 * 2. load the lab and files — a lab missing from the catalog is an infrastructure error, not retried;
 * 3. grade within the lab's time limit — rejected input ends at once (no attempt used), an
 *    infrastructure failure is retried by BullMQ with backoff and stored as `error` when retries run out;
 * 4. record results and score in one transaction, once per run.
 * Returns the outcome; throws only to ask BullMQ for a retry.
 */
export async function runJob(deps: RunnerDeps, delivery: Delivery): Promise<Outcome> {
  const { submissionId, run } = delivery.job;
  const log = deps.log.child({ submissionId, run, attempt: delivery.attempt });
  if (!(await claimRun(deps.db, submissionId, run, deps.workerId))) {
    log.info('run already finished; duplicate delivery ignored');
    return 'duplicate';
  }
  const submission = await getSubmission(deps.db, submissionId);
  const lab = submission && deps.labs.get(submission.labId);
  const grader = lab && deps.graders[lab.definition.kind];
  if (!submission || !lab || !grader) {
    const message = `lab ${submission?.labId ?? '?'} is not in this worker's catalog or has no grader`;
    await recordError(deps.db, submissionId, run, message);
    log.error(message);
    return 'error';
  }
  const kind = lab.definition.kind;
  const timer = deps.metrics.gradingDuration.startTimer({ kind });
  const beat = setInterval(() => void heartbeat(deps.db, submissionId, run).catch(() => undefined), deps.heartbeatMs);
  const limit = AbortSignal.timeout(lab.definition.timeLimitSeconds * 1000 + HUNG_GRACE_MS);
  const signal = AbortSignal.any([limit, delivery.signal]);
  try {
    if (deps.faultDelayMs > 0) await sleep(deps.faultDelayMs, undefined, { signal });
    const files = await loadFiles(deps.db, submissionId);
    log.info({ labId: lab.definition.id, labVersion: lab.version }, 'grading');
    const graded = await withAbort(grader.grade(lab, { submissionId, files }, { signal, log }), signal);
    const results = graded.map((r) => (r.evidence ? { ...r, evidence: capEvidence(r.evidence) } : r));
    const written = await recordGrade(deps.db, submissionId, run, lab.version, results);
    const score = results.reduce((s, r) => s + r.points, 0);
    log.info({ score, written }, written ? 'graded' : 'grade already written by another delivery');
    deps.metrics.gradingOutcomes.inc({ kind, outcome: written ? 'graded' : 'duplicate' });
    return written ? 'graded' : 'duplicate';
  } catch (thrown) {
    const error = classify(signal.aborted && !(thrown instanceof InfrastructureError) ? abortReason(signal, thrown) : thrown);
    return await settleFailure(deps, delivery, kind, error, log);
  } finally {
    clearInterval(beat);
    timer();
  }
}

function abortReason(signal: AbortSignal, thrown: unknown): unknown {
  if (thrown instanceof Error && thrown.name !== 'AbortError' && thrown.name !== 'TimeoutError') return thrown;
  const reason = signal.reason as Error | undefined;
  return new InfrastructureError(
    reason?.name === 'TimeoutError' ? 'grading did not finish within the lab time limit' : 'worker shutting down',
    true,
  );
}

/** Rejects when the signal aborts, so a grader that ignores its signal cannot hold a job forever. */
function withAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function settleFailure(
  deps: RunnerDeps,
  delivery: Delivery,
  kind: string,
  error: ReturnType<typeof classify>,
  log: Logger,
): Promise<Outcome> {
  const { submissionId, run } = delivery.job;
  if (error.kind === 'rejected') {
    await recordRejected(deps.db, submissionId, run, error.message, error.issues);
    log.info({ issues: error.issues }, `rejected: ${error.message}`);
    deps.metrics.gradingOutcomes.inc({ kind, outcome: 'rejected' });
    return 'rejected';
  }
  const retryable = error.kind === 'infrastructure' && error.retryable;
  if (retryable && delivery.attempt < delivery.maxAttempts && !delivery.signal.aborted) {
    await recordRetry(deps.db, submissionId, run, error.message);
    log.warn({ err: error }, `infrastructure failure, will retry: ${error.message}`);
    deps.metrics.gradingOutcomes.inc({ kind, outcome: 'retried' });
    throw error;
  }
  if (delivery.signal.aborted) {
    // Shutting down: the run goes back to queued and BullMQ retries the job (counting an attempt);
    // should that have been the last one, the sweeper enqueues the run again.
    await recordRetry(deps.db, submissionId, run, error.message);
    throw error;
  }
  await recordError(deps.db, submissionId, run, error.message);
  log.error({ err: error }, `grading failed: ${error.message}`);
  deps.metrics.gradingOutcomes.inc({ kind, outcome: 'error' });
  return 'error';
}
