/**
 * Sizing for a course's deadline hour (bench/README.md, "Capacity model"). Each kind of lab is a
 * queue with `slots` gradings at once (M/M/c: arrivals at random, grading times spread about their
 * mean); the slots are the fewest whose 95th-percentile wait in the queue stays within the
 * operator's target, so submit→result p95 ≈ the grading time's own p95 + at most that wait.
 */
export type Kind = 'quiz' | 'docker' | 'kubernetes';

export interface CapacityInput {
  /** each kind's share of the submissions (sums to 1) */
  share: Record<Kind, number>;
  /** measured mean grading time per kind, seconds */
  gradingMeanSeconds: Record<Kind, number>;
  /** the longest p95 wait in the queue the operator accepts, seconds */
  targetWaitP95Seconds: Record<Kind, number>;
  /** gradings of each kind one worker process runs at once */
  slotsPerWorker: Record<Kind, number>;
  /** submissions per minute this machine's 2 cores graded in the burst (all kinds mixed) */
  perMinuteOn2Cores: number;
  submissionsPerStudent: number;
  /** half of the hour's submissions arrive within its last this many minutes */
  peakMinutes: number;
}

/** P(a submission waits) with `slots` servers and `offered` = arrival rate × mean grading time (Erlang C). */
export function erlangC(slots: number, offered: number): number {
  if (offered >= slots) return 1;
  // Erlang B by its stable recurrence, then C from B
  let b = 1;
  for (let k = 1; k <= slots; k++) b = (offered * b) / (k + offered * b);
  return (slots * b) / (slots - offered * (1 - b));
}

/** The 95th percentile of the wait in the queue, seconds (Infinity when the slots can't keep up). */
export function waitP95Seconds(slots: number, arrivalsPerSecond: number, meanSeconds: number): number {
  const offered = arrivalsPerSecond * meanSeconds;
  if (offered >= slots) return Infinity;
  const waits = erlangC(slots, offered);
  // P(wait > t) = C · exp(−(slots − offered) · t / mean)
  return waits <= 0.05 ? 0 : (meanSeconds * Math.log(waits / 0.05)) / (slots - offered);
}

/** The fewest slots whose p95 wait is within the target. */
export function slotsFor(arrivalsPerSecond: number, meanSeconds: number, targetWaitP95: number): number {
  let slots = Math.max(1, Math.ceil(arrivalsPerSecond * meanSeconds));
  while (waitP95Seconds(slots, arrivalsPerSecond, meanSeconds) > targetWaitP95) slots++;
  return slots;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function capacityTable(input: CapacityInput, students: number[] = [100, 300, 1000, 3000]) {
  const kinds = Object.keys(input.share) as Kind[];
  const rows = students.map((n) => {
    const peakPerMinute = (n * input.submissionsPerStudent * 0.5) / input.peakMinutes;
    const perKind = Object.fromEntries(
      kinds.map((k) => {
        const rate = (peakPerMinute / 60) * input.share[k];
        const slots = slotsFor(rate, input.gradingMeanSeconds[k], input.targetWaitP95Seconds[k]);
        return [k, { slots, waitP95Seconds: round1(waitP95Seconds(slots, rate, input.gradingMeanSeconds[k])), utilisation: Math.round(((rate * input.gradingMeanSeconds[k]) / slots) * 100) / 100 }];
      }),
    ) as Record<Kind, { slots: number; waitP95Seconds: number; utilisation: number }>;
    return {
      students: n,
      peakSubmissionsPerMinute: Math.round(peakPerMinute),
      perKind,
      workers: Math.max(1, ...kinds.map((k) => Math.ceil(perKind[k].slots / input.slotsPerWorker[k]))),
      // this machine graded the mix at perMinuteOn2Cores on 2 cores; scaled linearly, kept below 80 % busy
      cores: Math.max(2, Math.ceil((2 * peakPerMinute) / input.perMinuteOn2Cores / 0.8)),
    };
  });
  const share = Object.fromEntries(kinds.map((k) => [k, Math.round(input.share[k] * 1000) / 1000]));
  return { model: { ...input, share, perMinuteOn2Cores: round1(input.perMinuteOn2Cores), queue: 'M/M/c per kind (Erlang C): the fewest slots whose p95 wait is within the target' }, rows };
}
