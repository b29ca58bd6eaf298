import type { Localized, Visibility } from '@kadai/catalog';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skipped';

/** One row of feedback, filled in the same shape by every grader (like Gradescope's test result). */
export interface CheckResult {
  checkId: string;
  title: Localized;
  points: number;
  maxPoints: number;
  status: CheckStatus;
  message: Localized;
  /** Expected vs actual, log lines, object dumps: capped by `capEvidence` before it is stored. */
  evidence?: string;
  visibility: Visibility;
  /** How long the check took (ms), where the grader measures it. */
  durationMs?: number;
}

export const EVIDENCE_LIMIT_BYTES = 16 * 1024;

/** Keeps the head and the tail of long evidence, where the useful lines usually are. */
export function capEvidence(text: string, limit = EVIDENCE_LIMIT_BYTES): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const half = Math.floor(limit / 2) - 64;
  const head = Buffer.from(text).subarray(0, half).toString('utf8');
  const tail = Buffer.from(text).subarray(-half).toString('utf8');
  const dropped = Buffer.byteLength(text) - 2 * half;
  return `${head}\n… [${dropped} bytes cut] …\n${tail}`;
}

export interface Score {
  score: number;
  maxScore: number;
}

export function totalScore(results: readonly CheckResult[]): Score {
  return results.reduce(
    (acc, r) => ({ score: acc.score + r.points, maxScore: acc.maxScore + r.maxPoints }),
    { score: 0, maxScore: 0 },
  );
}
