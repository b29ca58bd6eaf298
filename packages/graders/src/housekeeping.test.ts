import pino from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Grader } from '@kadai/grading';
import { startGraders } from './index';

describe('graders’ housekeeping', () => {
  it('never runs a pass beside a slower one: the next starts an interval after the last ended', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let passes = 0;
    const slow = {
      kind: 'docker',
      housekeeping: {
        intervalMs: 20,
        async run() {
          passes++;
          mostAtOnce = Math.max(mostAtOnce, ++running);
          await sleep(100); // five intervals: with setInterval, passes piled up
          running--;
        },
      },
    } as unknown as Grader;
    const stop = startGraders({ docker: slow }, { log: pino({ level: 'silent' }), releasedRuns: async (runs) => runs, reaped: () => undefined });
    await sleep(700);
    stop();
    const afterStop = passes;
    await sleep(300);
    expect(mostAtOnce).toBe(1);
    expect(afterStop).toBeGreaterThanOrEqual(2);
    expect(passes).toBe(afterStop); // none started after stop
  });

  it('goes on after a pass that never ends, once the pass limit has run out', async () => {
    jest.useFakeTimers();
    try {
      let passes = 0;
      const warnings: string[] = [];
      const hung = { kind: 'docker', housekeeping: { intervalMs: 1000, run: () => (passes++, new Promise<void>(() => undefined)) } } as unknown as Grader;
      const log = { child: () => log, warn: (_: unknown, message: string) => warnings.push(message) } as unknown as pino.Logger;
      const stop = startGraders({ docker: hung }, { log, releasedRuns: async (runs) => runs, reaped: () => undefined });
      await jest.advanceTimersByTimeAsync(1000);
      expect(passes).toBe(1);
      await jest.advanceTimersByTimeAsync(5 * 60_000 - 1);
      expect(passes).toBe(1);
      await jest.advanceTimersByTimeAsync(1 + 1000);
      expect(passes).toBe(2);
      expect(warnings).toEqual(['docker grader housekeeping failed (is its engine or cluster up?)']);
      stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
