/** Time kept after the attempt's work for removing what it created (containers, images, namespaces). */
export const CLEANUP_RESERVE_MS = 20_000;
/** Past work and cleanup, for loading files and recording: only a hung grader gets this far. */
const HUNG_MARGIN_MS = 20_000;

export interface AttemptTimes {
  /** The grader's whole budget for the attempt's work (prepare, build or apply, start, checks): the lab's limit. */
  workMs: number;
  /** Kept after the work for cleanup. */
  cleanupMs: number;
  /**
   * When the runner gives up on the grader as hung — always above work + cleanup, so a student's
   * slow work ends inside the grader's budget as a failed check, and only a hung grader (kadai's
   * failure) reaches it.
   */
  deadlineMs: number;
}

/** How one attempt's time is split, from the lab's `timeLimitSeconds`; the runner and every grader use this. */
export function attemptTimes(timeLimitSeconds: number): AttemptTimes {
  const workMs = timeLimitSeconds * 1000;
  return { workMs, cleanupMs: CLEANUP_RESERVE_MS, deadlineMs: workMs + CLEANUP_RESERVE_MS + HUNG_MARGIN_MS };
}

/** How long each named step of an attempt took (prepare, build or apply, checks, cleanup), for its log line. */
export function stepTimer(): { stepMs: Record<string, number>; step<T>(name: string, work: () => Promise<T>): Promise<T> } {
  const stepMs: Record<string, number> = {};
  return {
    stepMs,
    async step(name, work) {
      const started = Date.now();
      try {
        return await work();
      } finally {
        stepMs[name] = Date.now() - started;
      }
    },
  };
}
