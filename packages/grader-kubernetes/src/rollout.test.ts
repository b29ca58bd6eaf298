import type { ProbeLine } from './probe/output';
import { failedRequestRanges, judgeRollout, readyFloor, rolloutComplete } from './rollout';

const dep = (replicas: number, strategy?: Record<string, unknown>) => ({ spec: { replicas, ...(strategy ? { strategy } : {}) } });

describe('readyFloor', () => {
  test.each([
    ['defaults (25 % / 25 %)', dep(4), 3],
    ['25 % of 3 rounds down to 0', dep(3), 3],
    ['maxUnavailable 0', dep(3, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }), 3],
    ['maxUnavailable 1', dep(3, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }), 2],
    ['50 % of 3 rounds down to 1', dep(3, { rollingUpdate: { maxUnavailable: '50%' } }), 2],
    ['both 0 means maxUnavailable 1', dep(3, { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), 2],
    ['Recreate allows none', dep(3, { type: 'Recreate' }), 0],
  ])('%s', (_name, d, floor) => {
    expect(readyFloor(d).floor).toBe(floor);
  });
});

test('rolloutComplete needs the new generation observed, all updated and available, nothing old left', () => {
  const status = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
  expect(rolloutComplete({ metadata: { generation: 2 }, spec: { replicas: 3 }, status })).toBe(true);
  expect(rolloutComplete({ metadata: { generation: 3 }, spec: { replicas: 3 }, status })).toBe(false);
  expect(rolloutComplete({ metadata: { generation: 2 }, spec: { replicas: 3 }, status: { ...status, replicas: 4 } })).toBe(false);
  expect(rolloutComplete({ metadata: { generation: 2 }, spec: { replicas: 3 }, status: { ...status, availableReplicas: 2 } })).toBe(false);
});

describe('judgeRollout', () => {
  let seq = 0;
  const ok = (mark?: string): ProbeLine => ({ seq: seq++, start: '', offsetMs: seq * 100, latencyMs: 1, status: 200, bytes: 10, body: '', ...(mark ? { marks: [mark] } : {}) });
  const refused = (): ProbeLine => ({ seq: seq++, start: '', offsetMs: seq * 100, latencyMs: 0, status: 0, error: 'connection refused: …', bytes: 0, body: '' });
  const expectation = { noFailedRequests: true, versions: ['v1', 'v2'] as const, minReady: 3 };
  beforeEach(() => {
    seq = 0;
  });

  test('old, interleaved, then new, no failure, never below the floor: passes', () => {
    const v = judgeRollout([ok('v1'), ok('v1'), ok('v2'), ok('v1'), ok('v2'), ok('v2')], [3, 4, 3, 4, 3], expectation);
    expect(v).toMatchObject({ ok: true, failed: [], lowestReady: 3, versions: { old: 3, new: 3, firstIsOld: true, lastIsNew: true, ok: true } });
  });

  test('lines are judged in the order they were sent, not as they arrived', () => {
    const lines = [ok('v1'), ok('v2')];
    expect(judgeRollout([lines[1]!, lines[0]!], [3], expectation).ok).toBe(true);
  });

  test('a Recreate rollout: failed requests listed, ready replicas at 0', () => {
    const lines = [ok('v1'), refused(), refused(), ok('v2')];
    const v = judgeRollout(lines, [3, 0, 0, 3], expectation);
    expect(v.ok).toBe(false);
    expect(v.failed.map((l) => l.seq)).toEqual([1, 2]);
    expect(v.lowestReady).toBe(0);
    expect(v.problems.map((p) => p.en)).toEqual(['2 of 4 requests failed during the rollout.', 'Ready replicas dropped to 0 (they must not go below 3).']);
  });

  test('a 5xx is a failed request too; noFailedRequests: false lists but does not judge them', () => {
    const lines = [ok('v1'), { ...ok('v1'), status: 503 }, ok('v2')];
    expect(judgeRollout(lines, [3], expectation).failed).toHaveLength(1);
    expect(judgeRollout(lines, [3], { ...expectation, noFailedRequests: false })).toMatchObject({ ok: true, failed: [{ status: 503 }] });
  });

  test('no new version answering (the rollout changed nothing) fails; neither marker is counted apart', () => {
    const v = judgeRollout([ok('v1'), ok(), ok('v1')], [3], expectation);
    expect(v.ok).toBe(false);
    expect(v.versions).toMatchObject({ old: 2, new: 0, neither: 1, lastIsNew: false });
    expect(v.problems.map((p) => p.en)).toEqual(['The new version (v2) did not answer last.']);
  });

  test('no request at all fails', () => {
    expect(judgeRollout([], [3], { noFailedRequests: true, minReady: 0 }).problems.map((p) => p.en)).toEqual(['The probe sent no request.']);
  });
});

test('failedRequestRanges: every failed request, runs of the same reason on one line', () => {
  const line = (seq: number, status: number, error?: string): ProbeLine => ({ seq, start: '', offsetMs: seq * 50, latencyMs: 2, status, bytes: 0, body: '', ...(error ? { error } : {}) });
  expect(
    failedRequestRanges([line(7, 0, 'connection refused: dial tcp 10.96.0.5:80'), line(3, 0, 'timeout: Get "http://web/": context deadline exceeded'), line(4, 0, 'connection refused: …'), line(5, 0, 'connection refused: …'), line(6, 0, 'connection refused: …'), line(9, 503)]),
  ).toEqual(['#3 +0.1s: timeout (2 ms)', '#4–#7 (4) +0.2s–+0.3s: connection refused', '#9 +0.5s: status 503 (2 ms)']);
});
