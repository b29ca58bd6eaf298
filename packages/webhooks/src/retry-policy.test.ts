import { afterAttempt, DEFAULT_RETRY_SCHEDULE_MS } from './retry-policy';

const now = new Date('2026-12-01T00:00:00Z');
const answer = (status: number | null, retryAfterMs?: number) => ({ status, error: status === 204 ? null : 'x', durationMs: 5, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const waitOf = (o: ReturnType<typeof afterAttempt>) => (o.next.state === 'pending' ? o.next.retryAt.getTime() - now.getTime() : undefined);

describe('what follows a webhook attempt', () => {
  it('ends on a 2xx, and on 410 Gone with the endpoint disabled', () => {
    expect(afterAttempt(answer(204), 1, DEFAULT_RETRY_SCHEDULE_MS, now).next).toEqual({ state: 'delivered' });
    const gone = afterAttempt(answer(410), 1, DEFAULT_RETRY_SCHEDULE_MS, now);
    expect(gone.next).toEqual({ state: 'failed' });
    expect(gone.disableEndpoint).toMatch(/410/);
  });

  it('retries other failures over about a day, each wait jittered within ±20 %', () => {
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total / 3600_000).toBeGreaterThan(20);
    expect(total / 3600_000).toBeLessThan(28);
    expect(waitOf(afterAttempt(answer(500), 1, [1000], now, () => 0))).toBe(800);
    expect(waitOf(afterAttempt(answer(null), 1, [1000], now, () => 1))).toBe(1200);
    expect(afterAttempt(answer(500), 2, [1000], now).next).toEqual({ state: 'failed' });
  });

  it('waits as long as Retry-After asks when that is longer, up to the longest scheduled wait', () => {
    expect(waitOf(afterAttempt(answer(429, 5000), 1, [1000, 10_000], now, () => 0.5))).toBe(5000);
    expect(waitOf(afterAttempt(answer(503, 10), 1, [1000, 10_000], now, () => 0.5))).toBe(1000);
    expect(waitOf(afterAttempt(answer(503, 86_400_000), 1, [1000, 10_000], now, () => 0.5))).toBe(10_000);
  });
});
