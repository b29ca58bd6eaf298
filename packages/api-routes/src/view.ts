import type { Visibility } from '@kadai/catalog';
import type { Assignment, Principal, Submission } from '@kadai/db';
import type { CheckResult } from '@kadai/grading';
import type { SubmissionView } from './schemas';

/** Instructors, admins and the LMS see every check; a student sees what the visibility releases. */
function released(visibility: Visibility, principal: Principal, assignment: Assignment | undefined, now: Date): boolean {
  if (principal.role !== 'student') return true;
  switch (visibility) {
    case 'visible':
      return true;
    case 'hidden':
      return false;
    case 'after_due':
      return !assignment?.dueAt || now >= assignment.dueAt;
  }
}

export function submissionView(
  submission: Submission,
  results: CheckResult[],
  assignment: Assignment | undefined,
  principal: Principal,
  now = new Date(),
): SubmissionView {
  return {
    id: submission.id,
    lab: submission.labId,
    labKind: submission.labKind,
    state: submission.state,
    attempt: submission.attempt,
    gradingRun: submission.gradingRun,
    score: submission.score,
    maxScore: submission.maxScore,
    lateFactor: submission.lateFactor,
    labVersion: submission.labVersion,
    gradedLabVersion: submission.gradedLabVersion,
    error: submission.errorMessage,
    rejection: (submission.rejection as SubmissionView['rejection']) ?? null,
    submittedAt: submission.submittedAt.toISOString(),
    finishedAt: submission.finishedAt?.toISOString() ?? null,
    checks: results.map((r) => {
      const visibility = assignment?.visibility ?? r.visibility;
      const base = { checkId: r.checkId, title: r.title, visibility };
      if (!released(visibility, principal, assignment, now)) return { ...base, released: false };
      return { ...base, released: true, status: r.status, points: r.points, maxPoints: r.maxPoints, message: r.message, evidence: r.evidence };
    }),
  };
}
