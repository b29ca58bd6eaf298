import { InfrastructureError } from '@kadai/errors';
import { IsolationGate } from './isolation';

test('grading is refused, as kadai\'s retryable error with the reason, while attempts are not kept apart', async () => {
  const gate = new IsolationGate(async () => ({ available: false, reason: 'a Pod of another attempt\'s namespace reached an attempt\'s Pod' }));
  const refused = await gate.require().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(InfrastructureError);
  expect((refused as InfrastructureError).retryable).toBe(true);
  expect((refused as Error).message).toMatch(/does not keep attempts apart.*another attempt's namespace reached/);
});

test('a positive answer is kept; a negative one is asked again once stale; a check that throws is a negative answer', async () => {
  const answers = [new Error('API server unreachable'), { available: false, reason: 'not yet' }, { available: true, reason: 'kept apart' }];
  let asked = 0;
  const gate = new IsolationGate(async () => {
    const next = answers[asked++]!;
    if (next instanceof Error) throw next;
    return next;
  }, 0);
  expect(await gate.current()).toEqual({ available: false, reason: 'could not check: API server unreachable' });
  expect((await gate.current()).reason).toBe('not yet');
  await expect(gate.require()).resolves.toBeUndefined();
  await gate.require();
  expect(asked).toBe(3);
  const slow = new IsolationGate(async () => ({ available: false, reason: 'down' }), 60_000);
  await slow.current();
  await slow.current();
  await expect(slow.require()).rejects.toThrow(/down/);
});
