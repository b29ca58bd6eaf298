import { InfrastructureError } from '@kadai/errors';
import { IsolationGate } from './isolation';

test('grading is refused, as kadai\'s retryable error with the reason, while attempts are not kept apart', async () => {
  const gate = new IsolationGate(async () => ({ available: false, conclusive: true, reason: 'a Pod of another attempt\'s namespace reached an attempt\'s Pod' }));
  const refused = await gate.require().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(InfrastructureError);
  expect((refused as InfrastructureError).retryable).toBe(true);
  expect((refused as Error).message).toMatch(/does not keep attempts apart.*another attempt's namespace reached/);
});

test('a positive answer is kept; a negative one is asked again once stale, an inconclusive one at once; a check that throws is inconclusive', async () => {
  const answers = [new Error('API server unreachable'), { available: false, conclusive: true, reason: 'not yet' }, { available: true, conclusive: true, reason: 'kept apart' }];
  let asked = 0;
  const gate = new IsolationGate(async () => {
    const next = answers[asked++]!;
    if (next instanceof Error) throw next;
    return next;
  }, 0);
  expect(await gate.current()).toEqual({ available: false, conclusive: false, reason: 'could not check: API server unreachable' });
  expect((await gate.current()).reason).toBe('not yet');
  await expect(gate.require()).resolves.toBeUndefined();
  await gate.require();
  expect(asked).toBe(3);
  let checks = 0;
  const slow = new IsolationGate(async () => ({ available: false, conclusive: ++checks > 1, reason: checks > 1 ? 'down' : 'cannot tell' }), 60_000);
  expect((await slow.current()).reason).toBe('cannot tell');
  expect((await slow.current()).reason).toBe('down'); // inconclusive: asked again at once
  await expect(slow.require()).rejects.toThrow(/down/); // conclusive: kept for a minute
  expect(checks).toBe(2);
});
