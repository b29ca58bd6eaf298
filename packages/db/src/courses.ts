import type { Queryable } from './pool';
import type { Role } from './tokens';

export interface Course {
  id: string;
  title: string;
  createdAt: Date;
}

const COURSE_COLUMNS = 'c.id, c.title, c.created_at AS "createdAt"';

export async function getCourse(db: Queryable, id: string): Promise<Course | undefined> {
  const { rows } = await db.query<Course>(`SELECT ${COURSE_COLUMNS} FROM courses c WHERE c.id = $1`, [id]);
  return rows[0];
}

/** Creates a course; false when the id is taken. */
export async function createCourse(db: Queryable, id: string, title: string): Promise<Course | undefined> {
  const { rows } = await db.query<Course>(`INSERT INTO courses AS c (id, title) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING ${COURSE_COLUMNS}`, [id, title]);
  return rows[0];
}

export async function renameCourse(db: Queryable, id: string, title: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE courses SET title = $2 WHERE id = $1', [id, title]);
  return rowCount === 1;
}

/** The courses a user sees: every course for admins and the LMS, the ones they are enrolled in otherwise. */
export async function listCourses(db: Queryable, userId: string, role: Role): Promise<Array<Course & { myRole: string | null }>> {
  const { rows } = await db.query<Course & { myRole: string | null }>(
    `SELECT ${COURSE_COLUMNS}, e.role AS "myRole" FROM courses c LEFT JOIN enrollments e ON e.course_id = c.id AND e.user_id = $1
      WHERE $2 IN ('admin', 'lms') OR e.user_id IS NOT NULL ORDER BY c.id`,
    [userId, role],
  );
  return rows;
}

export type CourseRole = 'student' | 'instructor';

export interface Enrollment {
  userId: string;
  login: string;
  displayName: string;
  role: CourseRole;
}

export async function listEnrollments(db: Queryable, courseId: string): Promise<Enrollment[]> {
  const { rows } = await db.query<Enrollment>(
    `SELECT u.id AS "userId", u.login, u.display_name AS "displayName", e.role FROM enrollments e JOIN users u ON u.id = e.user_id
      WHERE e.course_id = $1 ORDER BY e.role, u.login`,
    [courseId],
  );
  return rows;
}

export async function enroll(db: Queryable, courseId: string, userId: string, role: CourseRole): Promise<void> {
  await db.query(
    'INSERT INTO enrollments (course_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role',
    [courseId, userId, role],
  );
}

export async function unenroll(db: Queryable, courseId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM enrollments WHERE course_id = $1 AND user_id = $2', [courseId, userId]);
  return rowCount === 1;
}
