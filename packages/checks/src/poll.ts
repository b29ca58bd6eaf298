import { setTimeout as sleep } from 'node:timers/promises';

/** What one look decided: `done` (the wait is over, it holds), `stop` (it will not hold, stop waiting) or `again`. */
export type PollVerdict = 'done' | 'stop' | 'again';

export interface PollControl {
  /** Ends the wait earlier: at most this many ms from now (e.g. a server answers, but not yet as expected). */
  shortenTo(ms: number): void;
  /** What is left until the deadline (ms), for timeouts of the look itself. */
  remainingMs(): number;
}

export interface PollOptions<T> {
  timeoutMs: number;
  /** Pause between looks (ms). */
  intervalMs?: number;
  /** Ends the wait at once (the check's budget); the last observation is still returned. */
  signal?: AbortSignal;
  /** One look; what it returns is kept as the evidence of the last observation. Throwing ends the poll with the error. */
  observe(control: PollControl): Promise<T>;
  judge(observation: T, control: PollControl): PollVerdict;
}

export interface PollResult<T> {
  ok: boolean;
  /** The last observation (undefined only when none was made). */
  last: T | undefined;
  /** Why the wait ended. */
  ended: 'done' | 'stopped' | 'timeout' | 'aborted';
  observations: number;
  elapsedMs: number;
}

/**
 * Looks until the judge says done, says stop, or the deadline passes, keeping the last observation
 * so a failed check can show what it saw. Always makes at least one look.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<PollResult<T>> {
  const started = Date.now();
  const interval = options.intervalMs ?? 500;
  let deadline = started + options.timeoutMs;
  const control: PollControl = {
    shortenTo: (ms) => {
      deadline = Math.min(deadline, Date.now() + ms);
    },
    remainingMs: () => Math.max(0, deadline - Date.now()),
  };
  let last: T | undefined;
  let observations = 0;
  const result = (ended: PollResult<T>['ended']): PollResult<T> => ({ ok: ended === 'done', last, ended, observations, elapsedMs: Date.now() - started });
  for (;;) {
    last = await options.observe(control);
    observations++;
    const verdict = options.judge(last, control);
    if (verdict === 'done') return result('done');
    if (verdict === 'stop') return result('stopped');
    if (options.signal?.aborted) return result('aborted');
    if (Date.now() + interval > deadline) return result('timeout');
    try {
      await sleep(interval, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return result('aborted');
    }
  }
}
