import type { Queryable } from './pool';
import { USES_ATTEMPT } from './submissions';

/** What the web pages read besides a submission: courses, a student's assignments, analytics, the audit trail. */

export interface CourseSummary {
  id: string;
  title: string;
  /** The caller's role in it; admins see every course as 'instructor'. */
  role: 'student' | 'instructor';
}

export async function coursesOf(db: Queryable, userId: string, role: string): Promise<CourseSummary[]> {
  if (role === 'admin') {
    const { rows } = await db.query<CourseSummary>(`SELECT id, title, 'instructor' AS role FROM courses ORDER BY id`);
    return rows;
  }
  const { rows } = await db.query<CourseSummary>(
    `SELECT c.id, c.title, e.role FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.user_id = $1 ORDER BY c.id`,
    [userId],
  );
  return rows;
}

export interface StudentAssignment {
  assignmentId: string;
  labId: string;
  opensAt: Date | null;
  dueAt: Date | null;
  maxAttempts: number | null;
  scoring: 'best' | 'last';
  attempts: number;
  score: number | null;
  maxScore: number | null;
}

/** A student's assignments of one course, with the attempts used and the score that counts. */
export async function studentAssignments(db: Queryable, userId: string, courseId: string): Promise<StudentAssignment[]> {
  const { rows } = await db.query<StudentAssignment>(
    `SELECT a.id AS "assignmentId", a.lab_id AS "labId", a.opens_at AS "opensAt", a.due_at AS "dueAt",
            a.max_attempts AS "maxAttempts", a.scoring, coalesce(used.n, 0)::int AS attempts,
            pick.score::float8 AS score, pick.max_score::float8 AS "maxScore"
       FROM assignments a
       LEFT JOIN LATERAL (SELECT count(*) AS n FROM submissions s WHERE s.assignment_id = a.id AND s.user_id = $1 AND ${USES_ATTEMPT}) used ON true
       LEFT JOIN LATERAL (
         SELECT s.score, s.max_score FROM submissions s
          WHERE s.assignment_id = a.id AND s.user_id = $1 AND s.graded_run IS NOT NULL
          ORDER BY CASE WHEN a.scoring = 'best' THEN s.score END DESC NULLS LAST, s.submitted_at DESC LIMIT 1
       ) pick ON true
      WHERE a.course_id = $2
      ORDER BY a.due_at NULLS LAST, a.lab_id`,
    [userId, courseId],
  );
  return rows;
}

export interface AttemptRow {
  id: string;
  attempt: number | null;
  state: string;
  score: number | null;
  maxScore: number | null;
  lateFactor: number;
  submittedAt: Date;
}

/** One user's submissions to one lab (of an assignment, or practice when null), newest first. */
export async function attemptsOf(db: Queryable, userId: string, labId: string, assignmentId: string | null): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT id, attempt, state, score::float8 AS score, max_score::float8 AS "maxScore", late_factor::float8 AS "lateFactor", submitted_at AS "submittedAt"
       FROM submissions WHERE user_id = $1 AND lab_id = $2 AND assignment_id IS NOT DISTINCT FROM $3
      ORDER BY submitted_at DESC LIMIT 200`,
    [userId, labId, assignmentId],
  );
  return rows;
}

export interface LabAnalytics {
  /** The score of each student's counted submission (best or last, as the assignment scores). */
  scores: Array<{ score: number; maxScore: number }>;
  checks: Array<{ checkId: string; titleJa: string; titleEn: string; passed: number; total: number }>;
  failures: Array<{ checkId: string; messageJa: string; messageEn: string; count: number }>;
}

// Each student's counted submission of the assignment, with the run whose results count.
const COUNTED = `WITH counted AS (
  SELECT DISTINCT ON (s.user_id) s.id, s.graded_run, s.score, s.max_score
    FROM submissions s JOIN assignments a ON a.id = s.assignment_id
   WHERE s.assignment_id = $1 AND s.graded_run IS NOT NULL
   ORDER BY s.user_id, CASE WHEN a.scoring = 'best' THEN s.score END DESC NULLS LAST, s.submitted_at DESC)`;

export async function labAnalytics(db: Queryable, assignmentId: string): Promise<LabAnalytics> {
  const [scores, checks, failures] = await Promise.all([
    db.query(`${COUNTED} SELECT score::float8 AS score, max_score::float8 AS "maxScore" FROM counted`, [assignmentId]),
    db.query(
      `${COUNTED} SELECT r.check_id AS "checkId", min(r.title_ja) AS "titleJa", min(r.title_en) AS "titleEn",
              (count(*) FILTER (WHERE r.status = 'pass'))::int AS passed, count(*)::int AS total, min(r.position) AS position
         FROM counted c JOIN check_results r ON r.submission_id = c.id AND r.grading_run = c.graded_run
        GROUP BY r.check_id ORDER BY position`,
      [assignmentId],
    ),
    db.query(
      `${COUNTED} SELECT r.check_id AS "checkId", r.message_ja AS "messageJa", r.message_en AS "messageEn", count(*)::int AS count
         FROM counted c JOIN check_results r ON r.submission_id = c.id AND r.grading_run = c.graded_run
        WHERE r.status IN ('fail', 'error')
        GROUP BY r.check_id, r.message_ja, r.message_en ORDER BY count DESC, r.check_id LIMIT 10`,
      [assignmentId],
    ),
  ]);
  return { scores: scores.rows, checks: checks.rows, failures: failures.rows };
}

export interface AuditEntry {
  action: string;
  actor: string | null;
  detail: Record<string, unknown>;
  at: Date;
}

/** The audit trail of one subject (`submission:<id>`, `assignment:<id>`), newest first. */
export async function auditTrail(db: Queryable, subjects: string[]): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `SELECT l.action, u.login AS actor, l.detail, l.at FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id
      WHERE l.subject = ANY($1) ORDER BY l.at DESC LIMIT 50`,
    [subjects],
  );
  return rows;
}

/** The assignment that sets a lab in a course, if any. */
export async function assignmentOfCourse(db: Queryable, courseId: string, labId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM assignments WHERE course_id = $1 AND lab_id = $2', [courseId, labId]);
  return rows[0]?.id;
}

export async function courseRole(db: Queryable, userId: string, role: string, courseId: string): Promise<'student' | 'instructor' | undefined> {
  if (role === 'admin') return (await db.query('SELECT 1 FROM courses WHERE id = $1', [courseId])).rows.length > 0 ? 'instructor' : undefined;
  const { rows } = await db.query<{ role: 'student' | 'instructor' }>('SELECT role FROM enrollments WHERE course_id = $1 AND user_id = $2', [courseId, userId]);
  return rows[0]?.role;
}
