import { restartTimeline, seconds, within, type PodEvent } from './restart-timing';

const killing = (at: string, over: Partial<PodEvent> = {}): PodEvent => ({
  reason: 'Killing',
  message: 'Container liveness failed liveness probe, will be restarted',
  involvedObject: { kind: 'Pod', name: 'liveness-exec', fieldPath: 'spec.containers{liveness}' },
  firstTimestamp: at,
  lastTimestamp: at,
  ...over,
});
const status = (restartCount: number) => ({ name: 'liveness', restartCount, lastState: { terminated: { startedAt: '2026-12-01T10:00:00Z', finishedAt: '2026-12-01T10:01:08Z', exitCode: 137 } } });

describe('restartTimeline', () => {
  it('reads the run and the first kill within it, ignoring other containers, Pods and later kills', () => {
    const events = [
      killing('2026-12-01T10:02:30Z'),
      killing('2026-12-01T10:00:38Z'),
      killing('2026-12-01T10:00:20Z', { involvedObject: { kind: 'Pod', name: 'liveness-exec', fieldPath: 'spec.containers{other}' } }),
      killing('2026-12-01T10:00:21Z', { involvedObject: { kind: 'Pod', name: 'another', fieldPath: 'spec.containers{liveness}' } }),
      { ...killing('2026-12-01T10:00:10Z'), reason: 'Unhealthy' },
    ];
    const timeline = restartTimeline(status(1), 'liveness-exec', events);
    expect(timeline?.killing?.at.toISOString()).toBe('2026-12-01T10:00:38.000Z');
    expect(seconds(timeline!.startedAt, timeline!.killing!.at)).toBe(38);
    expect(seconds(timeline!.killing!.at, timeline!.finishedAt)).toBe(30);
  });

  it('is undefined before the first restart, and has no kill until its event is seen', () => {
    expect(restartTimeline(status(0), 'liveness-exec', [killing('2026-12-01T10:00:38Z')])).toBeUndefined();
    expect(restartTimeline({ name: 'liveness', restartCount: 1 }, 'liveness-exec', [])).toBeUndefined();
    expect(restartTimeline(status(1), 'liveness-exec', [])?.killing).toBeUndefined();
  });

  it('prefers eventTime and takes windows inclusively', () => {
    const timeline = restartTimeline(status(1), 'liveness-exec', [killing('2026-12-01T10:00:50Z', { eventTime: '2026-12-01T10:00:36.400Z' })]);
    expect(seconds(timeline!.startedAt, timeline!.killing!.at)).toBe(36);
    expect(within(36, { min: 36, max: 40 })).toBe(true);
    expect(within(41, { min: 36, max: 40 })).toBe(false);
  });
});
