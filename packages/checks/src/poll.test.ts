import { pollUntil } from './poll';

describe('pollUntil', () => {
  it('stops as soon as the judge says done and returns that observation', async () => {
    let n = 0;
    const result = await pollUntil({ timeoutMs: 5000, intervalMs: 5, observe: async () => ++n, judge: (v) => (v >= 3 ? 'done' : 'again') });
    expect(result).toMatchObject({ ok: true, last: 3, ended: 'done', observations: 3 });
  });

  it('keeps the last observation when the deadline passes', async () => {
    let n = 0;
    const result = await pollUntil({ timeoutMs: 60, intervalMs: 10, observe: async () => `look ${++n}`, judge: () => 'again' });
    expect(result.ok).toBe(false);
    expect(result.ended).toBe('timeout');
    expect(result.last).toBe(`look ${result.observations}`);
    expect(result.observations).toBeGreaterThan(2);
    expect(result.elapsedMs).toBeLessThan(2000);
  });

  it('stops early when the judge says it will not hold', async () => {
    const result = await pollUntil({ timeoutMs: 5000, intervalMs: 5, observe: async () => 'exited', judge: () => 'stop' });
    expect(result).toMatchObject({ ok: false, ended: 'stopped', observations: 1, last: 'exited' });
  });

  it('ends when its signal aborts, mid-pause', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const result = await pollUntil({ timeoutMs: 10_000, intervalMs: 2_000, signal: abort.signal, observe: async () => 1, judge: () => 'again' });
    expect(result).toMatchObject({ ok: false, ended: 'aborted', last: 1 });
    expect(result.elapsedMs).toBeLessThan(2000);
  });

  it('lets a look shorten the wait (a server answers, just not as expected yet)', async () => {
    const result = await pollUntil({
      timeoutMs: 10_000,
      intervalMs: 10,
      observe: async (control) => {
        control.shortenTo(50);
        return control.remainingMs();
      },
      judge: () => 'again',
    });
    expect(result.ended).toBe('timeout');
    expect(result.elapsedMs).toBeLessThan(1000);
  });
});
