import type { SubmissionView } from '@kadai/client';
import { formatIssue } from '@kadai/errors';

const MARK: Record<string, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERR ', skipped: 'SKIP' };
const UNRELEASED = {
  hidden: { ja: '非公開のチェック（点数には含まれます）', en: 'hidden check (counted in the score)' },
  afterDue: { ja: '締切後に公開', en: 'released after the due date' },
};

/** The per-check table the CLI prints after grading. */
export function renderResult(view: SubmissionView, lang: 'ja' | 'en', verbose: boolean): string {
  const lines = [`submission ${view.id}  lab ${view.lab}  attempt ${view.attempt ?? '-'}  state ${view.state}`];
  if (view.state === 'rejected') {
    lines.push(`rejected: ${view.error}`);
    for (const issue of view.rejection ?? []) lines.push(`  ${formatIssue(issue)}`);
    return lines.join('\n');
  }
  if (view.state === 'error') return [...lines, `grading failed (not your fault; it will not count as a zero): ${view.error}`].join('\n');
  const width = Math.max(5, ...view.checks.map((c) => c.checkId.length));
  for (const check of view.checks) {
    if (!check.released) {
      const why = check.visibility === 'hidden' ? UNRELEASED.hidden : UNRELEASED.afterDue;
      lines.push(`  ${'....'}  ${check.checkId.padEnd(width)}  ${'-'.padStart(7)}  ${why[lang]}`);
      continue;
    }
    const points = `${check.points}/${check.maxPoints}`.padStart(7);
    const message = check.message?.[lang].split('\n')[0] ?? '';
    lines.push(`  ${MARK[check.status ?? 'skipped']}  ${check.checkId.padEnd(width)}  ${points}  ${check.title[lang]}: ${message}`);
    if (verbose && check.status !== 'pass' && check.evidence) lines.push(...check.evidence.split('\n').map((l) => `        ${l}`));
  }
  lines.push(`score ${view.score ?? '-'} / ${view.maxScore ?? '-'}`);
  return lines.join('\n');
}
