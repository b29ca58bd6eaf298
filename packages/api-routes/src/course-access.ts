import { canManageCourse, getCourse, type Course, type Principal } from '@kadai/db';
import type { Request } from 'express';
import { requireRole } from './auth';
import type { ApiDeps } from './deps';
import { HttpProblem } from './problem';

/** The course named, for one who manages it (its instructors, admins, the LMS): 404 if none, 403 if not theirs. */
export async function managedCourse(deps: ApiDeps, req: Request, courseId: string): Promise<{ course: Course; principal: Principal }> {
  const principal = requireRole(req, 'instructor', 'admin', 'lms');
  const course = await getCourse(deps.db, courseId);
  if (!course) throw new HttpProblem(404, 'Not found', `no course ${courseId}`);
  if (!(await canManageCourse(deps.db, principal.userId, principal.role, courseId))) throw new HttpProblem(403, 'Forbidden', `you do not teach course ${courseId}`);
  return { course, principal };
}
