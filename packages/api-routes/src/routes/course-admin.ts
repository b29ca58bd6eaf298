import {
  audit,
  createAssignment,
  createCourse,
  deleteExtension,
  enroll,
  getAssignment,
  getCourse,
  getUserByLogin,
  importRoster,
  listAssignments,
  listCourses,
  listEnrollments,
  listExtensions,
  renameCourse,
  setExtension,
  unenroll,
  updateAssignmentSettings,
  type Assignment,
  type User,
} from '@kadai/db';
import { Router, type Request } from 'express';
import { principalOf, requireRole } from '../auth';
import { managedCourse } from '../course-access';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { parseRoster } from '../roster';
import { assignmentCreate, assignmentPatch, courseCreate, coursePatch, enrollmentPut, extensionPut } from '../schemas';
import { parseInput } from '../validate';

async function userNamed(deps: ApiDeps, login: string): Promise<User> {
  const user = await getUserByLogin(deps.db, login);
  if (!user) throw new HttpProblem(404, 'Not found', `no user ${login}`);
  return user;
}

/**
 * Courses and what is in them: creating and renaming courses (admins), enrolments and roster import,
 * assignments and their settings, per-student extensions — for the course's instructors, admins and
 * the LMS, every change audited.
 */
export function courseAdminRoutes(deps: ApiDeps): Router {
  const router = Router();

  const managedAssignment = async (req: Request): Promise<{ assignment: Assignment; userId: string }> => {
    const id = String(req.params.id);
    const assignment = UUID.test(id) ? await getAssignment(deps.db, id) : undefined;
    if (!assignment) throw new HttpProblem(404, 'Not found', `no assignment ${id}`);
    const { principal } = await managedCourse(deps, req, assignment.courseId);
    return { assignment, userId: principal.userId };
  };

  router.get('/v1/courses', async (req, res) => {
    const principal = principalOf(req);
    res.json({ courses: await listCourses(deps.db, principal.userId, principal.role) });
  });

  router.post('/v1/courses', async (req, res) => {
    const principal = requireRole(req, 'admin');
    const body = parseInput(courseCreate, req.body, 'course');
    const course = await createCourse(deps.db, body.id, body.title);
    if (!course) throw new HttpProblem(409, 'Conflict', `course ${body.id} exists`);
    await audit(deps.db, principal.userId, 'course-create', `course:${course.id}`, { title: course.title });
    res.status(201).location(`/v1/courses/${course.id}`).json(course);
  });

  router.get('/v1/courses/:id', async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json(course);
  });

  router.patch('/v1/courses/:id', async (req, res) => {
    const principal = requireRole(req, 'admin');
    const body = parseInput(coursePatch, req.body, 'course');
    if (!(await renameCourse(deps.db, String(req.params.id), body.title))) throw new HttpProblem(404, 'Not found', `no course ${req.params.id}`);
    await audit(deps.db, principal.userId, 'course-rename', `course:${req.params.id}`, { title: body.title });
    res.json(await getCourse(deps.db, String(req.params.id)));
  });

  router.get('/v1/courses/:id/enrollments', async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json({ course: course.id, enrollments: await listEnrollments(deps.db, course.id) });
  });

  router.put('/v1/courses/:id/enrollments/:login', async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const body = parseInput(enrollmentPut, req.body, 'enrolment');
    const user = await userNamed(deps, String(req.params.login));
    await enroll(deps.db, course.id, user.id, body.role);
    await audit(deps.db, principal.userId, 'enroll', `course:${course.id}`, { login: user.login, role: body.role });
    res.json({ course: course.id, login: user.login, role: body.role });
  });

  router.delete('/v1/courses/:id/enrollments/:login', async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const user = await userNamed(deps, String(req.params.login));
    if (!(await unenroll(deps.db, course.id, user.id))) throw new HttpProblem(404, 'Not found', `${user.login} is not enrolled in ${course.id}`);
    await audit(deps.db, principal.userId, 'unenroll', `course:${course.id}`, { login: user.login });
    res.status(204).end();
  });

  // text/csv: login,name,role — every bad row reported by line, and then nothing imported
  router.post('/v1/courses/:id/roster', async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    if (typeof req.body !== 'string') throw new HttpProblem(415, 'Unsupported media type', 'send the roster as text/csv (header: login,name,role)');
    const rows = parseRoster(req.body);
    const result = await importRoster(deps.db, course.id, rows);
    await audit(deps.db, principal.userId, 'roster-import', `course:${course.id}`, result);
    res.json({ course: course.id, ...result });
  });

  router.get('/v1/courses/:id/assignments', async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json({ course: course.id, assignments: await listAssignments(deps.db, course.id) });
  });

  router.post('/v1/courses/:id/assignments', async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const body = parseInput(assignmentCreate, req.body, 'assignment');
    if (!deps.labs.has(body.labId)) throw new HttpProblem(422, 'Unknown lab', `no lab "${body.labId}"; GET /v1/labs lists them`, [{ field: 'labId', message: `unknown lab "${body.labId}"` }]);
    const assignment = await createAssignment(deps.db, { ...body, courseId: course.id });
    if (!assignment) throw new HttpProblem(409, 'Conflict', `course ${course.id} already sets ${body.labId}; PATCH that assignment instead`);
    await audit(deps.db, principal.userId, 'assignment-create', `assignment:${assignment.id}`, { course: course.id, ...body });
    res.status(201).location(`/v1/assignments/${assignment.id}`).json(assignment);
  });

  router.get('/v1/assignments/:id', async (req, res) => {
    res.json((await managedAssignment(req)).assignment);
  });

  router.patch('/v1/assignments/:id', async (req, res) => {
    const { assignment, userId } = await managedAssignment(req);
    const change = parseInput(assignmentPatch, req.body, 'assignment change');
    const current = { opensAt: assignment.opensAt, dueAt: assignment.dueAt, latePolicy: assignment.latePolicy, maxAttempts: assignment.maxAttempts, scoring: assignment.scoring, visibility: assignment.visibility };
    await updateAssignmentSettings(deps.db, assignment.id, { ...current, ...change });
    await audit(deps.db, userId, 'assignment-update', `assignment:${assignment.id}`, { change });
    res.json(await getAssignment(deps.db, assignment.id));
  });

  router.get('/v1/assignments/:id/extensions', async (req, res) => {
    const { assignment } = await managedAssignment(req);
    res.json({ assignment: assignment.id, extensions: await listExtensions(deps.db, assignment.id) });
  });

  router.put('/v1/assignments/:id/extensions/:login', async (req, res) => {
    const { assignment, userId } = await managedAssignment(req);
    const body = parseInput(extensionPut, req.body, 'extension');
    const student = await userNamed(deps, String(req.params.login));
    await setExtension(deps.db, { assignmentId: assignment.id, userId: student.id, ...body });
    await audit(deps.db, userId, 'extension', `assignment:${assignment.id}`, { login: student.login, ...body });
    res.json((await listExtensions(deps.db, assignment.id)).find((x) => x.userId === student.id));
  });

  router.delete('/v1/assignments/:id/extensions/:login', async (req, res) => {
    const { assignment, userId } = await managedAssignment(req);
    const student = await userNamed(deps, String(req.params.login));
    if (!(await deleteExtension(deps.db, assignment.id, student.id))) throw new HttpProblem(404, 'Not found', `${student.login} has no extension`);
    await audit(deps.db, userId, 'extension-delete', `assignment:${assignment.id}`, { login: student.login });
    res.status(204).end();
  });

  return router;
}
