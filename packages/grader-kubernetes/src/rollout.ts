import { succeeded, type ProbeLine } from './probe/output';

/**
 * What a rollout under load must show (the `rolloutWatch` step), judged from the probe's lines and
 * the Deployment's status as it changed. Pure.
 */

export interface DeploymentShape {
  metadata?: { generation?: number };
  spec?: {
    replicas?: number;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; unavailableReplicas?: number };
}

/** An int-or-percent of the Deployment's replicas, rounded as the deployment controller rounds it. */
function scaled(value: number | string | undefined, replicas: number, fallback: string, roundUp: boolean): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const percent = /^(\d+)%$/.exec(v);
  if (!percent) return Number(v) || 0;
  const exact = (Number(percent[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * The fewest ready replicas the strategy allows during a rollout: `replicas - maxUnavailable`
 * (defaults 25 % / 25 %; maxUnavailable rounds down, maxSurge up; both 0 means maxUnavailable 1, as
 * the controller does). A Recreate strategy allows none.
 */
export function readyFloor(deployment: DeploymentShape): { replicas: number; maxUnavailable: number; floor: number; strategy: string } {
  const replicas = deployment.spec?.replicas ?? 1;
  const strategy = deployment.spec?.strategy?.type ?? 'RollingUpdate';
  if (strategy === 'Recreate') return { replicas, maxUnavailable: replicas, floor: 0, strategy };
  const rolling = deployment.spec?.strategy?.rollingUpdate;
  let maxUnavailable = scaled(rolling?.maxUnavailable, replicas, '25%', false);
  const maxSurge = scaled(rolling?.maxSurge, replicas, '25%', true);
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { replicas, maxUnavailable, floor: Math.max(0, replicas - maxUnavailable), strategy };
}

/** The rollout is over: the controller saw the new spec, every replica is updated and available, and no old one is left. */
export function rolloutComplete(d: DeploymentShape): boolean {
  const replicas = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas;
}

export interface RolloutExpectation {
  noFailedRequests: boolean;
  /** Markers of the old and the new version (each answer's body contains one of them). */
  versions?: readonly [string, string];
  /** Ready replicas may never drop below this. */
  minReady: number;
}

export interface RolloutVerdict {
  ok: boolean;
  failed: ProbeLine[];
  /** Which version answered, in the order requests were sent: counts and first/last. */
  versions?: { old: number; new: number; neither: number; firstIsOld: boolean; lastIsNew: boolean; ok: boolean };
  lowestReady: number;
  problems: { ja: string; en: string }[];
}

const versionOf = (line: ProbeLine, versions: readonly [string, string]): 'old' | 'new' | undefined => (line.marks?.includes(versions[1]) ? 'new' : line.marks?.includes(versions[0]) ? 'old' : undefined);

export function judgeRollout(lines: readonly ProbeLine[], readySeen: readonly number[], expect: RolloutExpectation): RolloutVerdict {
  const ordered = [...lines].sort((a, b) => a.seq - b.seq);
  const failed = ordered.filter((l) => !succeeded(l));
  const problems: RolloutVerdict['problems'] = [];
  if (ordered.length === 0) problems.push({ ja: 'プローブのリクエストが 1 件もありませんでした。', en: 'The probe sent no request.' });
  if (expect.noFailedRequests && failed.length > 0) problems.push({ ja: `ロールアウト中に ${failed.length} 件のリクエストが失敗しました（全 ${ordered.length} 件）。`, en: `${failed.length} of ${ordered.length} requests failed during the rollout.` });
  let versions: RolloutVerdict['versions'];
  if (expect.versions) {
    const [oldMark, newMark] = expect.versions;
    const seen = ordered.filter((l) => succeeded(l)).map((l) => versionOf(l, expect.versions!));
    const marked = seen.filter((v) => v !== undefined);
    const count = (v: 'old' | 'new') => marked.filter((m) => m === v).length;
    const firstIsOld = marked[0] === 'old';
    const lastIsNew = marked[marked.length - 1] === 'new';
    versions = { old: count('old'), new: count('new'), neither: seen.length - marked.length, firstIsOld, lastIsNew, ok: firstIsOld && lastIsNew };
    if (!firstIsOld) problems.push({ ja: `最初に旧バージョン（${oldMark}）が応答していません。`, en: `The old version (${oldMark}) did not answer first.` });
    if (!lastIsNew) problems.push({ ja: `最後に新バージョン（${newMark}）が応答していません。`, en: `The new version (${newMark}) did not answer last.` });
  }
  const lowestReady = readySeen.length ? Math.min(...readySeen) : 0;
  if (lowestReady < expect.minReady) problems.push({ ja: `Ready なレプリカが ${lowestReady} まで減りました（${expect.minReady} 未満にならないはず）。`, en: `Ready replicas dropped to ${lowestReady} (they must not go below ${expect.minReady}).` });
  return { ok: problems.length === 0, failed, ...(versions ? { versions } : {}), lowestReady, problems };
}

/** Why a request failed, in a few words (the kind of error, or the status). */
export const failureReason = (l: ProbeLine): string => (l.status === 0 ? (l.error ?? 'no answer').replace(/:.*$/s, '') : l.error ? `${l.status}, ${l.error.replace(/:.*$/s, '')}` : `status ${l.status}`);

/**
 * Every failed request, compactly: runs of consecutive requests failing for the same reason on one
 * line each ("#40–#77 (38) +2.1s–+4.0s: connection refused"), so that all of them fit in the evidence.
 */
export function failedRequestRanges(failed: readonly ProbeLine[]): string[] {
  const out: string[] = [];
  const sorted = [...failed].sort((a, b) => a.seq - b.seq);
  const at = (l: ProbeLine) => `+${(l.offsetMs / 1000).toFixed(1)}s`;
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i]!;
    const reason = failureReason(first);
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.seq === sorted[j]!.seq + 1 && failureReason(sorted[j + 1]!) === reason) j++;
    const last = sorted[j]!;
    out.push(first === last ? `#${first.seq} ${at(first)}: ${reason} (${Math.round(first.latencyMs)} ms)` : `#${first.seq}–#${last.seq} (${j - i + 1}) ${at(first)}–${at(last)}: ${reason}`);
    i = j + 1;
  }
  return out;
}
