import type { Visibility } from '@kadai/catalog';
import type { Assignment, Principal, Submission } from '@kadai/db';
import type { CheckResult } from '@kadai/grading';
import type { SubmissionView } from './schemas';

/**
 * Instructors, admins and the LMS see every check; a student sees what the visibility releases.
 * `after_due` waits for a due date that has passed: practice work (no assignment, or one without a
 * due date) never releases it, or a quiz's feedback would give its key away at once.
 */
function released(visibility: Visibility, principal: Principal, assignment: Assignment | undefined, now: Date): boolean {
  if (principal.role !== 'student') return true;
  switch (visibility) {
    case 'visible':
      return true;
    case 'hidden':
      return false;
    case 'after_due':
      return Boolean(assignment?.dueAt && now >= assignment.dueAt);
  }
}

const NOTICES = {
  error: {
    ja: 'kadai 側の問題で採点できませんでした。この提出は試行回数に数えられません。もう一度提出するか、担当教員に連絡してください。',
    en: "kadai could not grade this because of a problem on kadai's side. It does not count as an attempt: submit again, or contact your instructor.",
  },
  regradeError: {
    ja: 'kadai 側の問題で再採点を完了できませんでした。以前の採点結果がそのまま有効です。',
    en: "kadai could not finish regrading this because of a problem on kadai's side. Your previous grade stands.",
  },
  regradeRejected: {
    ja: 'この提出は課題の現在の版では採点できないため、再採点されませんでした。以前の採点結果がそのまま有効です。',
    en: "This submission cannot be graded against the lab's current version, so it was not regraded. Your previous grade stands.",
  },
} as const;

/** What a student is told about a run that ended without a (new) grade, in their words; null otherwise. */
function noticeFor(submission: Submission): SubmissionView['notice'] {
  const kept = submission.gradedRun !== null;
  if (submission.state === 'error') return kept ? NOTICES.regradeError : NOTICES.error;
  if (submission.state === 'rejected' && kept) return NOTICES.regradeRejected;
  return null;
}

/**
 * The failure detail: kadai's own (an engine or cluster message) only for instructors, admins and
 * the LMS — it is in the logs too; a student gets the notice instead, and the reason their input
 * was rejected.
 */
function errorFor(submission: Submission, principal: Principal, notice: SubmissionView['notice']): string | null {
  if (principal.role !== 'student') return submission.errorMessage;
  if (submission.state === 'rejected') return submission.errorMessage;
  return notice?.en ?? null;
}

export function submissionView(
  submission: Submission,
  results: CheckResult[],
  assignment: Assignment | undefined,
  principal: Principal,
  now = new Date(),
): SubmissionView {
  const notice = noticeFor(submission);
  return {
    id: submission.id,
    lab: submission.labId,
    labKind: submission.labKind,
    state: submission.state,
    attempt: submission.attempt,
    gradingRun: submission.gradingRun,
    gradedRun: submission.gradedRun,
    score: submission.score,
    maxScore: submission.maxScore,
    lateFactor: submission.lateFactor,
    labVersion: submission.labVersion,
    gradedLabVersion: submission.gradedLabVersion,
    error: errorFor(submission, principal, notice),
    notice,
    rejection: (submission.rejection as SubmissionView['rejection']) ?? null,
    submittedAt: submission.submittedAt.toISOString(),
    finishedAt: submission.finishedAt?.toISOString() ?? null,
    checks: results.map((r) => {
      // the assignment's setting for this check, else its setting for every check, else the lab's
      const visibility = assignment?.checkVisibility?.[r.checkId] ?? assignment?.visibility ?? r.visibility;
      const base = { checkId: r.checkId, title: r.title, visibility };
      if (!released(visibility, principal, assignment, now)) return { ...base, released: false };
      return { ...base, released: true, status: r.status, points: r.points, maxPoints: r.maxPoints, message: r.message, evidence: r.evidence };
    }),
  };
}
