import type { CheckResult } from '@kadai/grading';
import type { Queryable } from './pool';
import { USES_ATTEMPT } from './submissions';

export async function getCheckResults(db: Queryable, submissionId: string, run: number): Promise<CheckResult[]> {
  const { rows } = await db.query(
    `SELECT check_id, title_ja, title_en, points::float8 AS points, max_points::float8 AS max_points, status,
            message_ja, message_en, evidence, visibility
       FROM check_results WHERE submission_id = $1 AND grading_run = $2 ORDER BY position`,
    [submissionId, run],
  );
  return rows.map((r) => ({
    checkId: r.check_id,
    title: { ja: r.title_ja, en: r.title_en },
    points: r.points,
    maxPoints: r.max_points,
    status: r.status,
    message: { ja: r.message_ja, en: r.message_en },
    evidence: r.evidence ?? undefined,
    visibility: r.visibility,
  }));
}

export interface CourseResultRow {
  login: string;
  displayName: string;
  assignmentId: string;
  labId: string;
  scoring: 'best' | 'last';
  submissionId: string | null;
  attempts: number;
  score: number | null;
  maxScore: number | null;
  state: string | null;
  submittedAt: Date | null;
  /** The counted submission came in after the due date (accepted late, with or without a penalty). */
  late: boolean;
}

/**
 * One row per student and assignment of a course: the submission that counts under the assignment's
 * scoring (best graded score, or the last graded attempt), and how many attempts were used. A
 * submission being regraded, or whose regrade ended in error or rejected, counts with the grade it
 * has (graded_run); `state` is that of its latest run. The course's submissions are read once and
 * grouped (not looked up per student and assignment): the class matrix of 300 × 30 reads it.
 */
export async function courseResults(db: Queryable, courseId: string): Promise<CourseResultRow[]> {
  const { rows } = await db.query<CourseResultRow>(
    `WITH subs AS (
       SELECT s.user_id, s.assignment_id, s.id, s.score, s.max_score, s.state, s.submitted_at, s.graded_run, s.attempt, a.scoring
         FROM submissions s JOIN assignments a ON a.id = s.assignment_id
        WHERE a.course_id = $1
     ), used AS (
       SELECT user_id, assignment_id, count(*) AS n FROM subs WHERE ${USES_ATTEMPT} GROUP BY user_id, assignment_id
     ), pick AS (
       SELECT DISTINCT ON (user_id, assignment_id) user_id, assignment_id, id, score, max_score, state, submitted_at
         FROM subs WHERE graded_run IS NOT NULL
        ORDER BY user_id, assignment_id, CASE WHEN scoring = 'best' THEN score END DESC NULLS LAST, submitted_at DESC
     )
     SELECT u.login, u.display_name AS "displayName", a.id AS "assignmentId", a.lab_id AS "labId", a.scoring,
            pick.id AS "submissionId", coalesce(used.n, 0)::int AS attempts, pick.score::float8 AS score,
            pick.max_score::float8 AS "maxScore", pick.state, pick.submitted_at AS "submittedAt",
            coalesce(pick.submitted_at > a.due_at, false) AS late
       FROM enrollments e
       JOIN users u ON u.id = e.user_id
       JOIN assignments a ON a.course_id = e.course_id
       LEFT JOIN used ON used.user_id = u.id AND used.assignment_id = a.id
       LEFT JOIN pick ON pick.user_id = u.id AND pick.assignment_id = a.id
      WHERE e.course_id = $1 AND e.role = 'student'
      ORDER BY u.login, a.lab_id`,
    [courseId],
  );
  return rows;
}

/**
 * Submission ids of an assignment that a regrade of the whole assignment starts again (those
 * `startRegrade` accepts), except the regrading instructor's own.
 */
export async function gradedSubmissionsOf(db: Queryable, assignmentId: string, exceptUserId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM submissions
      WHERE assignment_id = $1 AND user_id <> $2 AND (state IN ('graded', 'error') OR (state = 'rejected' AND graded_run IS NOT NULL))
      ORDER BY submitted_at`,
    [assignmentId, exceptUserId],
  );
  return rows.map((r) => r.id);
}
