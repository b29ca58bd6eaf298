import type { Lab, LiveCatalog } from '@kadai/catalog';
import { claimRun, currentLab, eraseSecretFiles, getSubmission, loadFiles, recordError, recordGrade, recordRejected, recordRetry, renewLease, type Claim, type Db } from '@kadai/db';
import { classify, InfrastructureError } from '@kadai/errors';
import { attemptTimes, capEvidence, type Grader } from '@kadai/grading';
import type { Logger, Metrics } from '@kadai/observability';
import type { GradingJob } from '@kadai/queue';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunnerDeps {
  db: Db;
  /** Takes the version another api published since this worker started (currentLab). */
  labs: LiveCatalog;
  graders: Partial<Record<Lab['definition']['kind'], Grader>>;
  log: Logger;
  metrics: Metrics;
  workerId: string;
  /** How often a grading renews its lease; well under `leaseMs`. */
  heartbeatMs: number;
  /** How long a claim holds a run without renewal before another worker may take it over. */
  leaseMs: number;
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

/** `stale`: this worker's lease was taken over while it graded; what it found was discarded. */
export type Outcome = 'graded' | 'rejected' | 'error' | 'retry' | 'duplicate' | 'stale';

/**
 * Grades one delivered job in named steps, each with its failure policy:
 * 1. claim the run in Postgres: a lease with a new fencing token — finished, or held under another
 *    worker's live lease: a duplicate delivery, nothing to do;
 * 2. load the lab and files — the lab at the version PostgreSQL publishes, with exactly that
 *    version's content (currentLab: held, or loaded from PostgreSQL; never this worker's folder),
 *    graded with and recorded as that version; a published version this worker cannot load is
 *    retried; a lab missing from the catalog is an infrastructure error, not retried;
 * 3. grade within the lab's time limit, renewing the lease — rejected input ends at once (no attempt
 *    used), an infrastructure failure is retried by BullMQ with backoff and stored as `error` when
 *    retries run out; a lease taken over stops the grading (the grader cleans up its own run);
 * 4. record results and score in one transaction, under the claim: a stale worker's write is refused.
 * Returns the outcome; throws only to ask BullMQ for a retry.
 */
export async function runJob(deps: RunnerDeps, delivery: Delivery): Promise<Outcome> {
  const { submissionId, run } = delivery.job;
  const claim = await claimRun(deps.db, submissionId, run, deps.workerId, deps.leaseMs);
  const log = deps.log.child({ submissionId, run, attempt: delivery.attempt, token: claim?.token });
  if (!claim) {
    log.info('run finished or held under another worker’s live lease; delivery ignored');
    return 'duplicate';
  }
  const submission = await getSubmission(deps.db, submissionId);
  // credentials (a live cluster's token) go once the run has ended, whatever its outcome and
  // whether or not the lab is still known here; a retry still needs them
  let secrets: readonly string[] = [];
  const ended = async (outcome: Outcome): Promise<Outcome> => {
    if (outcome === 'graded' || outcome === 'rejected' || outcome === 'error') {
      await eraseSecretFiles(deps.db, submissionId, secrets).catch((err: unknown) => log.error({ err, files: secrets }, 'could not erase the credentials handed in'));
    }
    return outcome;
  };
  let lab: Lab | undefined;
  try {
    lab = submission && (await currentLab(deps.db, deps.labs, submission.labId));
  } catch (thrown) {
    // the published version cannot be loaded here (yet): retried, like any infrastructure failure
    return await ended(await settleFailure(deps, delivery, claim, submission?.labKind ?? 'unknown', classify(thrown), log));
  }
  const grader = lab && deps.graders[lab.definition.kind];
  if (!submission || !lab || !grader) {
    const message = `lab ${submission?.labId ?? '?'} is not in this worker's catalog or has no grader`;
    log.error(message);
    return (await recordError(deps.db, claim, message)) ? await ended('error') : discarded(deps, 'unknown', log);
  }
  const kind = lab.definition.kind;
  secrets = grader.secretFiles?.(lab) ?? [];
  const timer = deps.metrics.gradingDuration.startTimer({ kind });
  const lease = keepLease(deps, claim, log);
  // Above the grader's whole budget and its cleanup: reached only by a hung grader (kadai's failure).
  const limit = AbortSignal.timeout(attemptTimes(lab.definition.timeLimitSeconds).deadlineMs);
  const signal = AbortSignal.any([limit, delivery.signal, lease.lost]);
  try {
    if (deps.faultDelayMs > 0) await sleep(deps.faultDelayMs, undefined, { signal });
    const files = await loadFiles(deps.db, submissionId);
    log.info({ labId: lab.definition.id, labVersion: lab.version }, 'grading');
    const graded = await withAbort(grader.grade(lab, { submissionId, files }, { signal, log, token: claim.token }), signal);
    const results = graded.map((r) => (r.evidence ? { ...r, evidence: capEvidence(r.evidence) } : r));
    if (!(await recordGrade(deps.db, claim, lab.version, results))) return discarded(deps, kind, log);
    log.info({ score: results.reduce((s, r) => s + r.points, 0) }, 'graded');
    deps.metrics.gradingOutcomes.inc({ kind, outcome: 'graded' });
    return await ended('graded');
  } catch (thrown) {
    if (lease.lost.aborted) return discarded(deps, kind, log);
    const error = classify(signal.aborted && !(thrown instanceof InfrastructureError) ? abortReason(signal, thrown) : thrown);
    return await ended(await settleFailure(deps, delivery, claim, kind, error, log));
  } finally {
    lease.stop();
    timer();
  }
}

/**
 * Renews the claim's lease every heartbeat; `lost` aborts once a renewal is refused (the run was
 * taken over or requeued). A renewal that fails on a database error is tried again at the next beat:
 * should the lease run out meanwhile, the fencing token still refuses this worker's writes.
 */
function keepLease(deps: RunnerDeps, claim: Claim, log: Logger): { lost: AbortSignal; stop: () => void } {
  const lost = new AbortController();
  const beat = setInterval(() => {
    renewLease(deps.db, claim, deps.leaseMs).then(
      (held) => {
        if (held || lost.signal.aborted) return;
        log.warn('lease lost: another worker holds this run now; stopping');
        lost.abort(new InfrastructureError('the lease on this grading run was lost', true));
      },
      (err: unknown) => log.warn({ err }, 'lease renewal failed; trying again at the next heartbeat'),
    );
  }, deps.heartbeatMs);
  return { lost: lost.signal, stop: () => clearInterval(beat) };
}

/** A write refused under a stale claim: this worker's outcome is dropped, the run is another's. */
function discarded(deps: RunnerDeps, kind: string, log: Logger): Outcome {
  log.warn('write refused: the lease was taken over; this worker’s outcome is discarded');
  deps.metrics.gradingOutcomes.inc({ kind, outcome: 'stale' });
  return 'stale';
}

function abortReason(signal: AbortSignal, thrown: unknown): unknown {
  if (thrown instanceof Error && thrown.name !== 'AbortError' && thrown.name !== 'TimeoutError') return thrown;
  const reason = signal.reason as Error | undefined;
  return new InfrastructureError(
    reason?.name === 'TimeoutError' ? 'the grader did not finish within the lab time limit and its cleanup time (hung?)' : 'worker shutting down',
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
  claim: Claim,
  kind: string,
  error: ReturnType<typeof classify>,
  log: Logger,
): Promise<Outcome> {
  if (error.kind === 'rejected') {
    if (!(await recordRejected(deps.db, claim, error.message, error.issues))) return discarded(deps, kind, log);
    log.info({ issues: error.issues }, `rejected: ${error.message}`);
    deps.metrics.gradingOutcomes.inc({ kind, outcome: 'rejected' });
    return 'rejected';
  }
  const retryable = error.kind === 'infrastructure' && error.retryable;
  if (retryable && delivery.attempt < delivery.maxAttempts && !delivery.signal.aborted) {
    if (!(await recordRetry(deps.db, claim, error.message))) return discarded(deps, kind, log);
    log.warn({ err: error }, `infrastructure failure, will retry: ${error.message}`);
    deps.metrics.gradingOutcomes.inc({ kind, outcome: 'retried' });
    throw error;
  }
  if (delivery.signal.aborted) {
    // Shutting down: the run goes back to queued and BullMQ retries the job (counting an attempt);
    // should that have been the last one, the sweeper enqueues the run again.
    if (!(await recordRetry(deps.db, claim, error.message))) return discarded(deps, kind, log);
    throw error;
  }
  if (!(await recordError(deps.db, claim, error.message))) return discarded(deps, kind, log);
  log.error({ err: error }, `grading failed: ${error.message}`);
  deps.metrics.gradingOutcomes.inc({ kind, outcome: 'error' });
  return 'error';
}
