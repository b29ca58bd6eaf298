import type { Visibility } from '@kadai/catalog';
import type { LatePolicy } from '@kadai/grading';
import type { Queryable } from './pool';

export interface Assignment {
  id: string;
  courseId: string;
  labId: string;
  opensAt: Date | null;
  dueAt: Date | null;
  latePolicy: LatePolicy;
  maxAttempts: number | null;
  scoring: 'best' | 'last';
  /** Overrides the lab's visibility of every check when set. */
  visibility: Visibility | null;
  /** Overrides, per check id, both `visibility` and the lab's. */
  checkVisibility: Record<string, Visibility>;
}

const COLUMNS = `a.id, a.course_id AS "courseId", a.lab_id AS "labId", a.opens_at AS "opensAt", a.due_at AS "dueAt",
  a.late_policy AS "latePolicy", a.max_attempts AS "maxAttempts", a.scoring, a.visibility, a.check_visibility AS "checkVisibility"`;

/**
 * The assignment as it applies to one student: their extension's due date (when it sets one) and
 * extra attempts (on top of a limit; none without one) in place of the assignment's own.
 */
const COLUMNS_FOR_STUDENT = `a.id, a.course_id AS "courseId", a.lab_id AS "labId", a.opens_at AS "opensAt",
  coalesce(x.due_at, a.due_at) AS "dueAt",
  a.late_policy AS "latePolicy", a.max_attempts + coalesce(x.extra_attempts, 0) AS "maxAttempts", a.scoring, a.visibility,
  a.check_visibility AS "checkVisibility"`;

/** An assignment; with `forUserId`, as it applies to that student (their extension included). */
export async function getAssignment(db: Queryable, id: string, forUserId?: string): Promise<Assignment | undefined> {
  const { rows } = forUserId
    ? await db.query<Assignment>(
        `SELECT ${COLUMNS_FOR_STUDENT} FROM assignments a LEFT JOIN assignment_extensions x ON x.assignment_id = a.id AND x.user_id = $2 WHERE a.id = $1`,
        [id, forUserId],
      )
    : await db.query<Assignment>(`SELECT ${COLUMNS} FROM assignments a WHERE a.id = $1`, [id]);
  return rows[0];
}

export async function listAssignments(db: Queryable, courseId: string): Promise<Assignment[]> {
  const { rows } = await db.query<Assignment>(`SELECT ${COLUMNS} FROM assignments a WHERE a.course_id = $1 ORDER BY a.due_at NULLS LAST, a.lab_id`, [courseId]);
  return rows;
}

/** Creates an assignment; undefined when the course already sets this lab. */
export async function createAssignment(db: Queryable, a: Omit<Assignment, 'id'>): Promise<Assignment | undefined> {
  const { rows } = await db.query<Assignment>(
    `INSERT INTO assignments AS a (course_id, lab_id, opens_at, due_at, late_policy, max_attempts, scoring, visibility, check_visibility)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (course_id, lab_id) DO NOTHING RETURNING ${COLUMNS}`,
    [a.courseId, a.labId, a.opensAt, a.dueAt, JSON.stringify(a.latePolicy), a.maxAttempts, a.scoring, a.visibility, JSON.stringify(a.checkVisibility)],
  );
  return rows[0];
}

/**
 * The assignment a student's submission for a lab counts toward: the one of their courses that sets
 * this lab (most recently opened first), with the student's extension applied. Without one, the
 * submission is practice: no deadline, no limit.
 */
export async function findAssignmentForStudent(db: Queryable, userId: string, labId: string): Promise<Assignment | undefined> {
  const { rows } = await db.query<Assignment>(
    `SELECT ${COLUMNS_FOR_STUDENT} FROM assignments a JOIN enrollments e ON e.course_id = a.course_id
       LEFT JOIN assignment_extensions x ON x.assignment_id = a.id AND x.user_id = $1
      WHERE e.user_id = $1 AND e.role = 'student' AND a.lab_id = $2 ORDER BY a.opens_at DESC NULLS LAST LIMIT 1`,
    [userId, labId],
  );
  return rows[0];
}

export async function upsertAssignment(
  db: Queryable,
  a: Omit<Assignment, 'id' | 'visibility' | 'checkVisibility'> & { visibility?: Assignment['visibility'] },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO assignments (course_id, lab_id, opens_at, due_at, late_policy, max_attempts, scoring, visibility)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (course_id, lab_id) DO UPDATE SET opens_at = EXCLUDED.opens_at, due_at = EXCLUDED.due_at,
       late_policy = EXCLUDED.late_policy, max_attempts = EXCLUDED.max_attempts, scoring = EXCLUDED.scoring,
       visibility = EXCLUDED.visibility
     RETURNING id`,
    [a.courseId, a.labId, a.opensAt, a.dueAt, JSON.stringify(a.latePolicy), a.maxAttempts, a.scoring, a.visibility ?? null],
  );
  return rows[0]!.id;
}

/** Whether a user may see a course's results: its instructors, admins and the LMS. */
export async function canManageCourse(db: Queryable, userId: string, role: string, courseId: string): Promise<boolean> {
  if (role === 'admin' || role === 'lms') return true;
  const { rows } = await db.query(
    `SELECT 1 FROM enrollments WHERE course_id = $1 AND user_id = $2 AND role = 'instructor'`,
    [courseId, userId],
  );
  return rows.length > 0;
}

/** Changes an assignment's settings (the web page's settings form); the course and lab stay. */
export async function updateAssignmentSettings(db: Queryable, id: string, a: Omit<Assignment, 'id' | 'courseId' | 'labId'>): Promise<void> {
  await db.query(
    `UPDATE assignments SET opens_at = $2, due_at = $3, late_policy = $4, max_attempts = $5, scoring = $6, visibility = $7, check_visibility = $8 WHERE id = $1`,
    [id, a.opensAt, a.dueAt, JSON.stringify(a.latePolicy), a.maxAttempts, a.scoring, a.visibility, JSON.stringify(a.checkVisibility)],
  );
}
