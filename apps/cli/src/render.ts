import type { LabsStatus, SubmissionView } from '@kadai/client';
import { formatIssue } from '@kadai/errors';

const MARK: Record<string, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERR ', skipped: 'SKIP' };
const UNRELEASED = {
  hidden: { ja: '非公開のチェック（点数には含まれます）', en: 'hidden check (counted in the score)' },
  afterDue: { ja: '締切後に公開', en: 'released after the due date' },
};

/** The per-check table the CLI prints after grading. */
export function renderResult(view: SubmissionView, lang: 'ja' | 'en', verbose: boolean): string {
  const lines = [`submission ${view.id}  lab ${view.lab}  attempt ${view.attempt ?? '-'}  state ${view.state}`];
  const notice = view.notice?.[lang];
  // A regrade that ended in error or rejected kept the earlier grade: the notice, then that grade's table.
  const kept = view.gradedRun !== null && view.gradedRun !== undefined;
  if (view.state === 'rejected' && !kept) {
    lines.push(`rejected: ${view.error}`);
    for (const issue of view.rejection ?? []) lines.push(`  ${formatIssue(issue)}`);
    return lines.join('\n');
  }
  if (view.state === 'error' && !kept) {
    lines.push(notice ?? `grading failed on kadai's side (it does not count as an attempt): ${view.error}`);
    // instructors get the engine's or cluster's detail; a student's view holds only the notice
    if (view.error && view.error !== view.notice?.en) lines.push(`detail: ${view.error}`);
    return lines.join('\n');
  }
  if (notice) lines.push(notice);
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

/** `kadai labs status`: one line per lab (published version, the folder's, what a reload does), then the refused folders' problems. */
export function renderLabsStatus(status: LabsStatus): string {
  const row = (cells: string[]) => `${cells[0]!.padEnd(24)} ${cells[1]!.padEnd(28)} ${cells[2]!.padEnd(16)} ${cells[3]}`;
  return [
    row(['LAB', 'PUBLISHED', 'FOLDER', 'ON RELOAD']),
    ...status.labs.map((l) => row([l.id, `${l.version ?? '-'}${l.withdrawnAt ? ' (withdrawn)' : ''}`, l.folderVersion ?? '-', l.onReload])),
    ...status.errors.map((e) => e.text),
  ].join('\n');
}
