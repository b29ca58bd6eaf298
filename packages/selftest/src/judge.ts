import type { SelfTestCase } from '@kadai/catalog';
import type { CheckRow, SubmissionView } from '@kadai/client';

export interface Verdict {
  ok: boolean;
  /** For a case that behaved as its lab says, a one-line summary; otherwise every difference. */
  detail: string;
}

type Expected = Pick<SelfTestCase, 'fails' | 'skipped' | 'rejected'>;
type Status = NonNullable<CheckRow['status']>;

function expectedStatus(expected: Expected, checkId: string): Status {
  if (expected.fails.includes(checkId)) return 'fail';
  if (expected.skipped.includes(checkId)) return 'skipped';
  return 'pass';
}

/** The first line of a check's English message, so a report says why a check ended as it did. */
function why(row: CheckRow): string {
  const line = row.message?.en.split('\n')[0]?.trim() ?? '';
  return line ? ` (${line.length > 160 ? `${line.slice(0, 157)}...` : line})` : '';
}

/**
 * Judges one graded case strictly: a check a variant names in `fails` must end `fail` — not
 * `skipped`, not `error`, which would mean it never looked at the mistake —, a check in `skipped`
 * must end `skipped`, and every other check must pass. The solution names nothing, so it must pass
 * every check. A variant whose build broke by accident therefore no longer passes as "failing".
 */
export function judge(view: SubmissionView, expected: Expected): Verdict {
  if (expected.rejected) {
    return view.state === 'rejected'
      ? { ok: true, detail: `rejected as expected: ${view.rejection?.map((r) => r.message).join('; ') ?? view.error ?? ''}` }
      : { ok: false, detail: `expected to be rejected, but ended ${view.state}` };
  }
  if (view.state !== 'graded') return { ok: false, detail: `ended ${view.state}: ${view.error ?? view.rejection?.map((r) => r.message).join('; ') ?? ''}` };
  const hidden = view.checks.filter((c) => !c.released).map((c) => c.checkId);
  if (hidden.length > 0) return { ok: false, detail: `checks not released to this token: ${hidden.join(', ')} (use an instructor token)` };

  const seen = new Set(view.checks.map((c) => c.checkId));
  const wrong = [
    ...view.checks
      .filter((row) => row.status !== expectedStatus(expected, row.checkId))
      .map((row) => `${row.checkId}: expected ${expectedStatus(expected, row.checkId)}, got ${row.status}${why(row)}`),
    ...[...expected.fails, ...expected.skipped].filter((id) => !seen.has(id)).map((id) => `${id}: expected ${expectedStatus(expected, id)}, but the result has no such check`),
  ];
  const score = `${view.score}/${view.maxScore}`;
  if (wrong.length > 0) return { ok: false, detail: `${wrong.join('; ')} (${score})` };
  if (expected.fails.length === 0) return { ok: true, detail: `full marks ${score}` };
  const skipped = expected.skipped.length > 0 ? `, skipped ${expected.skipped.join(', ')}` : '';
  return { ok: true, detail: `failed ${expected.fails.join(', ')}${skipped} as expected, the rest passed (${score})` };
}
