import { Budget, BudgetExceeded, overrunMessage, overrunOf } from './budget';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Budget', () => {
  it('aborts with a BudgetExceeded naming its own scope when its time runs out', async () => {
    const root = Budget.root(1000, new AbortController().signal);
    const build = root.child('build', { limitMs: 30 });
    await tick(60);
    expect(build.signal.aborted).toBe(true);
    expect(build.overrun()).toBeInstanceOf(BudgetExceeded);
    expect(build.overrun()).toMatchObject({ scope: 'build', limitMs: 30, attemptMs: 1000 });
    expect(root.signal.aborted).toBe(false);
    root.dispose();
  });

  it('never outlives its parent: a child gets at most the remaining time minus what is reserved', async () => {
    const root = Budget.root(10_000, new AbortController().signal);
    const phase = root.child('build', { limitMs: 60_000, reserveMs: 7000 });
    expect(phase.limitMs).toBeLessThanOrEqual(3000);
    expect(phase.limitMs).toBeGreaterThan(2000);
    expect(root.child('check', { limitMs: 500 }).limitMs).toBe(500);
    const short = Budget.root(50, new AbortController().signal);
    const check = short.child('check', { limitMs: 60_000 });
    expect(check.limitMs).toBeLessThanOrEqual(50);
    await tick(100);
    expect(overrunOf(check.signal)?.scope).toMatch(/^(the attempt|check)$/);
    root.dispose();
  });

  it("passes an outside abort down unchanged: a shutdown is not the attempt's overrun", () => {
    const outside = new AbortController();
    const root = Budget.root(10_000, outside.signal);
    const step = root.child('phase').child('check').child('step');
    outside.abort(new Error('worker shutting down'));
    expect(step.signal.aborted).toBe(true);
    expect(step.overrun()).toBeUndefined();
    expect((step.signal.reason as Error).message).toBe('worker shutting down');
  });

  it('a child of an ended budget starts ended', async () => {
    const root = Budget.root(10, new AbortController().signal);
    await tick(30);
    const late = root.child('checks');
    expect(late.signal.aborted).toBe(true);
    expect(late.overrun()?.scope).toBe('the attempt');
    expect(late.remainingMs()).toBe(0);
  });

  it('says how long of how much, in Japanese and English', () => {
    const message = overrunMessage(new BudgetExceeded('build', 84_400, 120_000), { ja: 'ビルド', en: 'The build' });
    expect(message.en).toBe("The build did not finish within 84 s of the attempt's 120 s budget.");
    expect(message.ja).toBe('ビルドが時間内に終わりませんでした（この提出の制限時間 120 秒のうち 84 秒まで）。');
  });
});
