import { capacityTable, erlangC, slotsFor, waitP95Seconds } from '../../bench/lib/capacity';

test('Erlang C: one slot waits with probability ρ; two slots at ρ = 0.5 wait a third of the time (2ρ²/(1+ρ))', () => {
  expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 10);
  expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 10);
  expect(erlangC(3, 3)).toBe(1);
});

test("the p95 wait of one slot busy 70 % of the time with 10 s gradings is 10·ln(14)/0.3 s; an overloaded queue's is unbounded", () => {
  expect(waitP95Seconds(1, 0.07, 10)).toBeCloseTo((10 * Math.log(14)) / 0.3, 6);
  expect(waitP95Seconds(2, 0.3, 10)).toBe(Infinity);
  expect(waitP95Seconds(10, 0.01, 10)).toBe(0);
});

test('slotsFor gives the fewest slots within the target wait', () => {
  for (const [rate, mean, target] of [[0.5, 10, 60], [2, 10, 30], [5, 5, 5], [0.1, 30, 1]] as const) {
    const slots = slotsFor(rate, mean, target);
    expect(waitP95Seconds(slots, rate, mean)).toBeLessThanOrEqual(target);
    if (slots > 1) expect(waitP95Seconds(slots - 1, rate, mean)).toBeGreaterThan(target);
  }
});

test('the table grows with the class and keeps every kind within its target wait', () => {
  const table = capacityTable({
    share: { quiz: 2 / 3, docker: 7 / 30, kubernetes: 1 / 10 },
    gradingMeanSeconds: { quiz: 0.03, docker: 10, kubernetes: 5 },
    targetWaitP95Seconds: { quiz: 5, docker: 60, kubernetes: 60 },
    slotsPerWorker: { quiz: 8, docker: 2, kubernetes: 3 },
    perMinuteOn2Cores: 90,
    submissionsPerStudent: 3,
    peakMinutes: 10,
  });
  const docker = table.rows.map((r) => r.perKind.docker.slots);
  expect(docker).toEqual([...docker].sort((a, b) => a - b));
  expect(docker.at(-1)).toBeGreaterThan(docker[0]!);
  for (const row of table.rows) for (const kind of ['quiz', 'docker', 'kubernetes'] as const) expect(row.perKind[kind].waitP95Seconds).toBeLessThanOrEqual(table.model.targetWaitP95Seconds[kind]);
});
