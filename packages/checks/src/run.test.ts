import { InfrastructureError } from '@kadai/errors';
import pino from 'pino';
import { z } from 'zod';
import { Budget } from './budget';
import { checkIssues, commonCheckFields, defineCheck, type CheckRegistry } from './define';
import { fail, pass } from './outcome';
import { runChecks, type CheckStep } from './run';

interface Ctx extends CheckStep {
  greeting: string;
}

const log = pino({ level: 'silent' });
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// Two check types of a made-up kind: `say` compares a field to the context; `wait` sleeps (ignoring or honouring its signal).
const registry: CheckRegistry<Ctx> = {
  say: defineCheck({
    fields: z.strictObject({ ...commonCheckFields, words: z.string() }),
    async run(spec, ctx: Ctx) {
      return spec.words === ctx.greeting ? pass('一致', 'matches') : fail('不一致', 'differs', `expected ${spec.words}`);
    },
  }),
  wait: defineCheck({
    fields: z.strictObject({ ...commonCheckFields, ms: z.number(), honour: z.boolean().default(true), timeoutMs: z.number().optional() }),
    timeoutMs: (spec) => spec.timeoutMs ?? 10_000,
    async run(spec, ctx: Ctx) {
      if (spec.honour) await sleep(spec.ms, ctx.signal);
      else await new Promise((r) => setTimeout(r, spec.ms).unref()); // deaf to its signal; unref: the loop has moved on
      return pass('待った', 'waited');
    },
  }),
  broken: defineCheck({
    fields: z.strictObject({ ...commonCheckFields }),
    async run() {
      throw new InfrastructureError('engine gone', true);
    },
  }),
};

const check = (id: string, type: string, extra: Record<string, unknown> = {}) => ({ id, type, title: { ja: id, en: id }, points: 2, ...extra });
const run = (checks: ReturnType<typeof check>[], budget: Budget) =>
  runChecks({ checks, registry, visibility: 'visible', budget, log, context: (step) => ({ ...step, greeting: 'hello' }) });

describe('runChecks', () => {
  it('runs checks in order with points, visibility and a duration each', async () => {
    const budget = Budget.root(10_000, new AbortController().signal);
    const results = await run([check('a', 'say', { words: 'hello' }), check('b', 'say', { words: 'bye', visibility: 'hidden' }), check('c', 'wait', { ms: 40 })], budget);
    expect(results.map((r) => [r.checkId, r.status, r.points, r.maxPoints, r.visibility])).toEqual([
      ['a', 'pass', 2, 2, 'visible'],
      ['b', 'fail', 0, 2, 'hidden'],
      ['c', 'pass', 2, 2, 'visible'],
    ]);
    expect(results[1]?.evidence).toBe('expected bye');
    expect(results[2]?.durationMs).toBeGreaterThanOrEqual(35);
    budget.dispose();
  });

  it('turns a check that overruns its own timeout into a failed check, even one that ignores its signal', async () => {
    const budget = Budget.root(10_000, new AbortController().signal);
    const started = Date.now();
    const [slow, next] = await run([check('slow', 'wait', { ms: 2500, honour: false, timeoutMs: 50 }), check('next', 'say', { words: 'hello' })], budget);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(slow).toMatchObject({ status: 'fail', points: 0 });
    expect(slow?.message.en).toMatch(/^The check "slow" did not finish within 0 s of the attempt's 10 s budget\.$/);
    expect(next?.status).toBe('pass');
    budget.dispose();
  });

  it("fails the checks left when the attempt's time has run out, as not checked", async () => {
    const budget = Budget.root(80, new AbortController().signal);
    const results = await run([check('long', 'wait', { ms: 5000 }), check('after', 'say', { words: 'hello' })], budget);
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(results[1]?.message.en).toMatch(/^Grading this attempt did not finish within 0 s/);
    expect(results[1]?.evidence).toMatch(/^not checked: /);
  });

  it('skips a check whose needs did not pass, and adds the hint to a failure', async () => {
    const budget = Budget.root(10_000, new AbortController().signal);
    const hint = { ja: '挨拶を確認', en: 'check the greeting' };
    const results = await run([check('a', 'say', { words: 'bye', hint }), check('b', 'say', { words: 'hello', needs: ['a'] }), check('c', 'say', { words: 'hello' }), check('d', 'say', { words: 'hello', needs: ['c'] })], budget);
    expect(results.map((r) => [r.checkId, r.status])).toEqual([['a', 'fail'], ['b', 'skipped'], ['c', 'pass'], ['d', 'pass']]);
    expect(results[0]?.message.en).toBe('differs\nHint: check the greeting');
    expect(results[1]?.message.en).toBe('Not checked: it needs a to pass first.');
    budget.dispose();
  });
  it("throws kadai's failures: an InfrastructureError, or a shutdown (an abort that is no budget's)", async () => {
    const budget = Budget.root(10_000, new AbortController().signal);
    await expect(run([check('a', 'broken')], budget)).rejects.toThrow('engine gone');
    const outside = new AbortController();
    setTimeout(() => outside.abort(new Error('shutdown')), 30);
    const error = await run([check('w', 'wait', { ms: 5000 })], Budget.root(10_000, outside.signal)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).retryable).toBe(true);
    budget.dispose();
  });
});

describe('checkIssues', () => {
  it('names unknown types and bad fields by their place in lab.yaml', () => {
    const issues = checkIssues('lab.yaml', [check('a', 'say', { words: 1 }), check('b', 'nope'), check('c', 'say', { words: 'x', extra: true })], registry);
    expect(issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      'checks.0.words: Invalid input: expected string, received number',
      'checks.1.type: unknown check type "nope" (say, wait, broken)',
      'checks.2: Unrecognized key: "extra"',
    ]);
  });
});
