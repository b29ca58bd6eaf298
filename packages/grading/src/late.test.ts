import { lateFactor } from './late';
import { capEvidence, EVIDENCE_LIMIT_BYTES, totalScore } from './result';

const due = new Date('2026-12-01T00:00:00Z');
const after = (hours: number) => new Date(due.getTime() + hours * 3600_000);

describe('lateFactor', () => {
  it('keeps the full score on time or without a due date', () => {
    expect(lateFactor({ mode: 'reject' }, due, after(-1))).toBe(1);
    expect(lateFactor({ mode: 'reject' }, null, after(100))).toBe(1);
  });
  it('refuses late work under reject, accepts it under accept', () => {
    expect(lateFactor({ mode: 'reject' }, due, after(1))).toBeNull();
    expect(lateFactor({ mode: 'accept' }, due, after(1000))).toBe(1);
  });
  it('takes a share per started day under penalty, refusing past the maximum', () => {
    const policy = { mode: 'penalty' as const, percentPerDay: 10, maxDaysLate: 3 };
    expect(lateFactor(policy, due, after(1))).toBeCloseTo(0.9);
    expect(lateFactor(policy, due, after(25))).toBeCloseTo(0.8);
    expect(lateFactor(policy, due, after(72))).toBeCloseTo(0.7);
    expect(lateFactor(policy, due, after(73))).toBeNull();
  });
});

describe('evidence and scores', () => {
  it('caps long evidence keeping its head and tail', () => {
    const text = `HEAD\n${'x'.repeat(100_000)}\nTAIL`;
    const capped = capEvidence(text);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(EVIDENCE_LIMIT_BYTES);
    expect(capped.startsWith('HEAD')).toBe(true);
    expect(capped.endsWith('TAIL')).toBe(true);
    expect(capped).toMatch(/bytes cut/);
    expect(capEvidence('short')).toBe('short');
  });
  it('sums points and maximum points', () => {
    const row = (points: number, maxPoints: number) => ({ checkId: 'c', title: { ja: 'c', en: 'c' }, points, maxPoints, status: 'pass' as const, message: { ja: '', en: '' }, visibility: 'visible' as const });
    expect(totalScore([row(1, 2), row(0.5, 1)])).toEqual({ score: 1.5, maxScore: 3 });
  });
});
