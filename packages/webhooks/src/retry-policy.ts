import type { AttemptOutcome } from '@kadai/db';
import type { SendResult } from './send';

/**
 * The waits between attempts (ms), after Standard Webhooks' reference schedule, shortened to about
 * a day in all: 5 s, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h. A message failing every attempt is given up
 * 23.6 hours after it was first sent.
 */
export const DEFAULT_RETRY_SCHEDULE_MS = [5e3, 300e3, 1800e3, 7200e3, 18000e3, 28800e3, 28800e3];

/** Each wait is drawn within ±20 % so receivers coming back up are not hit by every sender at once. */
const JITTER = 0.2;

/**
 * What follows an attempt (`attempt` counts from 1): delivered on a 2xx; given up and the endpoint
 * disabled on 410 Gone; otherwise tried again after the schedule's next wait (jittered), or after
 * the receiver's Retry-After when that is longer (up to the schedule's longest wait) — until the
 * schedule is used up.
 */
export function afterAttempt(result: SendResult, attempt: number, scheduleMs: number[], now: Date, random: () => number = Math.random): AttemptOutcome {
  const base = { status: result.status, error: result.error, durationMs: result.durationMs };
  if (result.status !== null && result.status >= 200 && result.status < 300) return { ...base, next: { state: 'delivered' } };
  if (result.status === 410) return { ...base, next: { state: 'failed' }, disableEndpoint: 'the receiver answered 410 Gone' };
  const wait = scheduleMs[attempt - 1];
  if (wait === undefined) return { ...base, next: { state: 'failed' } };
  const jittered = wait * (1 - JITTER + 2 * JITTER * random());
  const longest = Math.max(...scheduleMs);
  const delay = result.retryAfterMs !== undefined ? Math.max(jittered, Math.min(result.retryAfterMs, longest)) : jittered;
  return { ...base, next: { state: 'pending', retryAt: new Date(now.getTime() + delay) } };
}
