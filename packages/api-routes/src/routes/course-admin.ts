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
  currentLab,
  publishedLab,
  renameCourse,
  setExtension,
  unenroll,
  updateAssignmentSettings,
  type Assignment,
  type User,
} from '@kadai/db';
import { checksOf, type Lab } from '@kadai/catalog';
import type { InputIssue } from '@kadai/errors';
import { type Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf, requireRole } from '../auth';
import { managedCourse } from '../course-access';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { parseRoster } from '../roster';
import { assignment as assignmentSchema, assignmentCreate, assignmentPatch, course as courseSchema, courseCreate, coursePatch, enrollment, enrollmentPut, extension, extensionPut, rosterImport } from '../schemas';

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
/** Per-check visibility may name only the lab's checks: each other id is named, with the lab's checks. */
function assertChecksOf(lab: Lab, checkVisibility: Record<string, unknown> | undefined): void {
  const ids = checksOf(lab.definition).map((c) => c.id);
  const unknown: InputIssue[] = Object.keys(checkVisibility ?? {})
    .filter((id) => !ids.includes(id))
    .map((id) => ({ field: `checkVisibility.${id}`, message: `lab ${lab.definition.id} has no check "${id}" (its checks: ${ids.join(', ')})` }));
  if (unknown.length > 0) throw new HttpProblem(422, 'Unknown check', `checkVisibility names checks lab ${lab.definition.id} does not have`, unknown);
}

export function courseAdminRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();

  const managedAssignment = async (req: Request): Promise<{ assignment: Assignment; userId: string }> => {
    const id = String(req.params.id);
    const assignment = UUID.test(id) ? await getAssignment(deps.db, id) : undefined;
    if (!assignment) throw new HttpProblem(404, 'Not found', `no assignment ${id}`);
    const { principal } = await managedCourse(deps, req, assignment.courseId);
    return { assignment, userId: principal.userId };
  };

  api.get('/v1/courses', { summary: "The caller's courses (all of them for an admin)", answers: { 200: { description: 'courses', schema: z.object({ courses: z.array(courseSchema) }) } } }, async (req, res) => {
    const principal = principalOf(req);
    res.json({ courses: await listCourses(deps.db, principal.userId, principal.role) });
  });

  const created = { description: 'created', schema: courseSchema };
  api.post('/v1/courses', { summary: 'Create a course (admin)', body: courseCreate, bodyName: 'course', answers: { 201: created }, problems: [403, 409, 422] }, async (req, res, body) => {
    const principal = requireRole(req, 'admin');
    const course = await createCourse(deps.db, body.id, body.title);
    if (!course) throw new HttpProblem(409, 'Conflict', `course ${body.id} exists`);
    await audit(deps.db, principal.userId, 'course-create', `course:${course.id}`, { title: course.title });
    res.status(201).location(`/v1/courses/${course.id}`).json(course);
  });

  api.get('/v1/courses/:id', { summary: 'One course (its instructors, admins, the LMS)', answers: { 200: { description: 'the course', schema: courseSchema } }, problems: [403, 404] }, async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json(course);
  });

  api.patch('/v1/courses/:id', { summary: 'Rename a course (admin)', body: coursePatch, bodyName: 'course', answers: { 200: { description: 'the course', schema: courseSchema } }, problems: [403, 404, 422] }, async (req, res, body) => {
    const principal = requireRole(req, 'admin');
    if (!(await renameCourse(deps.db, String(req.params.id), body.title))) throw new HttpProblem(404, 'Not found', `no course ${req.params.id}`);
    await audit(deps.db, principal.userId, 'course-rename', `course:${req.params.id}`, { title: body.title });
    res.json(await getCourse(deps.db, String(req.params.id)));
  });

  const enrollments = z.object({ course: z.string(), enrollments: z.array(enrollment) });
  api.get('/v1/courses/:id/enrollments', { summary: "A course's students and instructors", answers: { 200: { description: 'enrolments', schema: enrollments } }, problems: [403, 404] }, async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json({ course: course.id, enrollments: await listEnrollments(deps.db, course.id) });
  });

  const enrolled = z.object({ course: z.string(), login: z.string(), role: z.enum(['student', 'instructor']) });
  const enrol = { summary: 'Enrol a user (or change their role in the course)', body: enrollmentPut, bodyName: 'enrolment', answers: { 200: { description: 'enrolled', schema: enrolled } }, problems: [403, 404, 422] };
  api.put('/v1/courses/:id/enrollments/:login', enrol, async (req, res, body) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const user = await userNamed(deps, String(req.params.login));
    await enroll(deps.db, course.id, user.id, body.role);
    await audit(deps.db, principal.userId, 'enroll', `course:${course.id}`, { login: user.login, role: body.role });
    res.json({ course: course.id, login: user.login, role: body.role });
  });

  api.delete('/v1/courses/:id/enrollments/:login', { summary: 'Remove a user from a course (their submissions stay)', answers: { 204: 'removed' }, problems: [403, 404] }, async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const user = await userNamed(deps, String(req.params.login));
    if (!(await unenroll(deps.db, course.id, user.id))) throw new HttpProblem(404, 'Not found', `${user.login} is not enrolled in ${course.id}`);
    await audit(deps.db, principal.userId, 'unenroll', `course:${course.id}`, { login: user.login });
    res.status(204).end();
  });

  // text/csv: login,name,role — every bad row reported by line, and then nothing imported
  const roster = {
    summary: 'Import a roster (CSV with header login,name,role): users created as needed and enrolled, in one transaction; every bad row reported by line, and then nothing imported',
    otherBodies: { 'text/csv': { type: 'string', description: 'login,name,role' } },
    answers: { 200: { description: 'imported', schema: rosterImport } },
    problems: [403, 404, 415, 422],
  };
  api.post('/v1/courses/:id/roster', roster, async (req, res) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    if (typeof req.body !== 'string') throw new HttpProblem(415, 'Unsupported media type', 'send the roster as text/csv (header: login,name,role)');
    const rows = parseRoster(req.body);
    const result = await importRoster(deps.db, course.id, rows);
    await audit(deps.db, principal.userId, 'roster-import', `course:${course.id}`, result);
    res.json({ course: course.id, ...result });
  });

  const assignments = z.object({ course: z.string(), assignments: z.array(assignmentSchema) });
  api.get('/v1/courses/:id/assignments', { summary: "A course's assignments", answers: { 200: { description: 'assignments', schema: assignments } }, problems: [403, 404] }, async (req, res) => {
    const { course } = await managedCourse(deps, req, String(req.params.id));
    res.json({ course: course.id, assignments: await listAssignments(deps.db, course.id) });
  });

  const assign = { summary: 'Set a lab in a course with its dates and policies', body: assignmentCreate, bodyName: 'assignment', answers: { 201: { description: 'created', schema: assignmentSchema } }, problems: [403, 404, 409, 422] };
  api.post('/v1/courses/:id/assignments', assign, async (req, res, body) => {
    const { course, principal } = await managedCourse(deps, req, String(req.params.id));
    const published = await publishedLab(deps.db, deps.labs, body.labId);
    if (!published) throw new HttpProblem(422, 'Unknown lab', `no lab "${body.labId}"; GET /v1/labs lists them`, [{ field: 'labId', message: `unknown lab "${body.labId}"` }]);
    if (published.withdrawnAt) throw new HttpProblem(422, 'Lab withdrawn', `lab "${body.labId}" is withdrawn; GET /v1/labs lists the labs in service`, [{ field: 'labId', message: `lab "${body.labId}" is withdrawn` }]);
    assertChecksOf(published.lab, body.checkVisibility);
    const assignment = await createAssignment(deps.db, { ...body, courseId: course.id });
    if (!assignment) throw new HttpProblem(409, 'Conflict', `course ${course.id} already sets ${body.labId}; PATCH that assignment instead`);
    await audit(deps.db, principal.userId, 'assignment-create', `assignment:${assignment.id}`, { course: course.id, ...body });
    res.status(201).location(`/v1/assignments/${assignment.id}`).json(assignment);
  });

  const theAssignment = { 200: { description: 'the assignment', schema: assignmentSchema } };
  api.get('/v1/assignments/:id', { summary: 'One assignment', answers: theAssignment, problems: [403, 404] }, async (req, res) => {
    res.json((await managedAssignment(req)).assignment);
  });

  const settingsChange = { summary: "Change an assignment's dates and policies (audited)", body: assignmentPatch, bodyName: 'assignment change', answers: theAssignment, problems: [403, 404, 422] };
  api.patch('/v1/assignments/:id', settingsChange, async (req, res, change) => {
    const { assignment, userId } = await managedAssignment(req);
    const lab = change.checkVisibility && (await currentLab(deps.db, deps.labs, assignment.labId));
    if (lab) assertChecksOf(lab, change.checkVisibility);
    const current = { opensAt: assignment.opensAt, dueAt: assignment.dueAt, latePolicy: assignment.latePolicy, maxAttempts: assignment.maxAttempts, scoring: assignment.scoring, visibility: assignment.visibility, checkVisibility: assignment.checkVisibility };
    await updateAssignmentSettings(deps.db, assignment.id, { ...current, ...change });
    await audit(deps.db, userId, 'assignment-update', `assignment:${assignment.id}`, { change });
    res.json(await getAssignment(deps.db, assignment.id));
  });

  const extensions = z.object({ assignment: z.uuid(), extensions: z.array(extension) });
  api.get('/v1/assignments/:id/extensions', { summary: "An assignment's per-student extensions", answers: { 200: { description: 'extensions', schema: extensions } }, problems: [403, 404] }, async (req, res) => {
    const { assignment } = await managedAssignment(req);
    res.json({ assignment: assignment.id, extensions: await listExtensions(deps.db, assignment.id) });
  });

  const extend = { summary: 'Give one student a due date of their own and/or extra attempts (audited)', body: extensionPut, bodyName: 'extension', answers: { 200: { description: 'the extension', schema: extension } }, problems: [403, 404, 422] };
  api.put('/v1/assignments/:id/extensions/:login', extend, async (req, res, body) => {
    const { assignment, userId } = await managedAssignment(req);
    const student = await userNamed(deps, String(req.params.login));
    await setExtension(deps.db, { assignmentId: assignment.id, userId: student.id, ...body });
    await audit(deps.db, userId, 'extension', `assignment:${assignment.id}`, { login: student.login, ...body });
    res.json((await listExtensions(deps.db, assignment.id)).find((x) => x.userId === student.id));
  });

  api.delete('/v1/assignments/:id/extensions/:login', { summary: "Remove a student's extension", answers: { 204: 'removed' }, problems: [403, 404] }, async (req, res) => {
    const { assignment, userId } = await managedAssignment(req);
    const student = await userNamed(deps, String(req.params.login));
    if (!(await deleteExtension(deps.db, assignment.id, student.id))) throw new HttpProblem(404, 'Not found', `${student.login} has no extension`);
    await audit(deps.db, userId, 'extension-delete', `assignment:${assignment.id}`, { login: student.login });
    res.status(204).end();
  });

  return api;
}
