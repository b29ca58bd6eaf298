import { checksOf } from '@kadai/catalog';
import {
  audit,
  assignmentOfCourse,
  auditTrail,
  canManageCourse,
  courseResults,
  courseRole,
  coursesOf,
  getAssignment,
  getSubmission,
  labAnalytics,
  listAssignments,
  listCourses,
  listEnrollments,
  listExtensions,
  listTokens,
  listUsers,
  listWebhookDeliveries,
  listWebhookEndpoints,
  labsInService,
  loadFiles,
  publishedLab,
  publishedVersions,
  secretFilesOf,
  studentAssignments,
  updateAssignmentSettings,
} from '@kadai/db';
import { Router, urlencoded, type ErrorRequestHandler, type Request, type Response } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { toCsv } from '../routes/courses';
import { maySee, renderSubmission } from '../routes/submissions';
import { assertCsrf } from '../session';
import { adminBody, assignmentsBody, extensionsBody, membersBody, webhooksBody } from './admin';
import { html } from './html';
import { analyticsBody, matrixBody, parseSettings, settingsBody } from './instructor';
import { pageContext, sendPage } from './layout';
import { referenceBody } from './reference';
import { requireSession, signInRoutes } from './sign-in';
import { labTitle, studentCourseBody, studentLabBody } from './student';
import { auditList, fileList, regradeButton, submissionBody } from './submission';

const ASSETS_DIR = path.join(__dirname, 'assets');
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'kadai.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(ASSETS_DIR, 'kadai.css')) },
  'kadai.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(ASSETS_DIR, 'kadai.js')) },
};

const pageErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (!(error instanceof HttpProblem) || !PAGE_PATH.test(req.path)) return next(error);
  const ctx = pageContext(req, res);
  sendPage(res, ctx, `${error.status} ${error.title}`, html`<p class="error">${error.message}</p><p><a href="/">${ctx.t('courses')}</a></p>`, error.status);
};
const PAGE_PATH = /^\/(?:$|courses\/|submissions\/|sign-|admin$)/;

/**
 * The web pages, server-rendered, in Japanese and English: a student's courses, labs, submission
 * form and results; an instructor's class matrix, per-lab analytics, submission detail, regrades,
 * CSV export and assignment settings; the API reference. Behind a sign-in session, except the
 * sign-in page, the reference and the assets.
 */
export function pageRoutes(deps: ApiDeps, openApi: object): Router {
  const router = Router();
  const form = urlencoded({ extended: false, limit: '16kb' });

  router.get('/assets/:name', (req, res) => {
    const asset = ASSETS[String(req.params.name)];
    if (!asset) throw new HttpProblem(404, 'Not found', `no asset ${req.params.name}`);
    res.type(asset.type).set('cache-control', 'public, max-age=300').set('x-content-type-options', 'nosniff').send(asset.body);
  });
  router.get('/reference', (req, res) => {
    const ctx = pageContext(req, res);
    sendPage(res, ctx, ctx.t('apiReference'), referenceBody(ctx, openApi as Parameters<typeof referenceBody>[1]));
  });
  router.use(signInRoutes(deps));

  const pages = Router();
  const signedIn = requireSession(deps);

  /** The caller's role in a course; 404 when they have none (nothing is learnt about other courses). */
  const roleIn = async (req: Request) => {
    const principal = req.principal!;
    const courseId = String(req.params.course);
    const role = await courseRole(deps.db, principal.userId, principal.role, courseId);
    if (!role) throw new HttpProblem(404, 'Not found', `no course ${courseId}`);
    return { courseId, role };
  };
  const asInstructor = async (req: Request) => {
    const found = await roleIn(req);
    if (found.role !== 'instructor') throw new HttpProblem(403, 'Forbidden', 'instructors only');
    return found;
  };
  /** The lab at its published version (withdrawn ones too: their results and settings stay readable). */
  const publishedOf = async (req: Request) => {
    const published = await publishedLab(deps.db, deps.labs, String(req.params.lab));
    if (!published) throw new HttpProblem(404, 'Not found', `no lab ${req.params.lab}`);
    return published;
  };
  const labOf = async (req: Request) => (await publishedOf(req)).lab;
  const assignmentOf = async (courseId: string, labId: string) => {
    const id = await assignmentOfCourse(deps.db, courseId, labId);
    const assignment = id ? await getAssignment(deps.db, id) : undefined;
    if (!assignment) throw new HttpProblem(404, 'Not found', `course ${courseId} sets no lab ${labId}`);
    return assignment;
  };

  pages.get('/', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const courses = await coursesOf(deps.db, req.principal!.userId, req.principal!.role);
    const body = courses.length === 0
      ? html`<p>${ctx.t('noCourses')}</p>`
      : html`<ul>${courses.map((c) => html`<li><a href="/courses/${encodeURIComponent(c.id)}">${c.title}</a> <small>${c.id}</small></li>`)}</ul>`;
    sendPage(res, ctx, ctx.t('courses'), body);
  });

  pages.get('/courses/:course', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId, role } = await roleIn(req);
    if (role === 'instructor') {
      const started = performance.now();
      const rows = await courseResults(deps.db, courseId);
      const queried = performance.now();
      const body = matrixBody(ctx, courseId, rows, deps.labs);
      // the split the instructor-matrix bench reads: the query, then building the HTML
      res.set('server-timing', `db;dur=${(queried - started).toFixed(1)}, render;dur=${(performance.now() - queried).toFixed(1)}`);
      sendPage(res, ctx, `${ctx.t('matrix')} — ${courseId}`, body);
      return;
    }
    const rows = await studentAssignments(deps.db, req.principal!.userId, courseId);
    const withdrawn = new Set((await publishedVersions(deps.db)).filter((p) => p.withdrawnAt).map((p) => p.id));
    sendPage(res, ctx, `${ctx.t('labs')} — ${courseId}`, studentCourseBody(ctx, courseId, rows, deps.labs, withdrawn));
  });

  pages.get('/courses/:course/results.csv', signedIn, async (req, res) => {
    const { courseId } = await asInstructor(req);
    res.type('text/csv; charset=utf-8').attachment(`${courseId}-results.csv`).send(toCsv(await courseResults(deps.db, courseId)));
  });

  pages.get('/courses/:course/labs/:lab', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await roleIn(req);
    const { lab, withdrawnAt } = await publishedOf(req);
    sendPage(res, ctx, labTitle(lab, lab.definition.id, ctx.lang), await studentLabBody(ctx, deps.db, courseId, lab, withdrawnAt));
  });

  pages.get('/courses/:course/labs/:lab/analytics', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    const lab = await labOf(req);
    const assignment = await assignmentOf(courseId, lab.definition.id);
    const analytics = await labAnalytics(deps.db, assignment.id);
    const trail = await auditTrail(deps.db, [`assignment:${assignment.id}`]);
    const regrade = html`${regradeButton(ctx, `/v1/assignments/${assignment.id}/regrade`, ctx.t('regradeAll'))}${auditList(ctx, trail)}`;
    sendPage(res, ctx, `${ctx.t('analytics')} — ${labTitle(lab, lab.definition.id, ctx.lang)}`, analyticsBody(ctx, courseId, lab.definition.id, assignment.id, analytics, regrade));
  });

  const settingsPage = async (req: Request, res: Response, issues: Array<{ field: string; message: string }>, saved: boolean) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    const lab = await labOf(req);
    const assignment = await assignmentOf(courseId, lab.definition.id);
    sendPage(res, ctx, `${ctx.t('settings')} — ${labTitle(lab, lab.definition.id, ctx.lang)}`, settingsBody(ctx, assignment, lab, issues, saved), issues.length > 0 ? 422 : 200);
  };
  pages.get('/courses/:course/labs/:lab/settings', signedIn, (req, res) => settingsPage(req, res, [], req.query.saved === '1'));
  pages.post('/courses/:course/labs/:lab/settings', signedIn, form, async (req, res) => {
    assertCsrf(req, req.webSession!);
    const { courseId } = await asInstructor(req);
    const lab = await labOf(req);
    const assignment = await assignmentOf(courseId, lab.definition.id);
    const parsed = parseSettings(req.body ?? {}, checksOf(lab.definition).map((c) => c.id));
    if ('issues' in parsed) {
      await settingsPage(req, res, parsed.issues, false);
      return;
    }
    await updateAssignmentSettings(deps.db, assignment.id, parsed.settings);
    await audit(deps.db, req.principal!.userId, 'assignment-settings', `assignment:${assignment.id}`, parsed.settings);
    res.redirect(303, `${req.path}?saved=1`);
  });

  // Administration: the pages list; their forms call the API (see admin.ts).
  pages.get('/courses/:course/members', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    sendPage(res, ctx, `${ctx.t('members')} — ${courseId}`, membersBody(ctx, courseId, await listEnrollments(deps.db, courseId)));
  });
  pages.get('/courses/:course/assignments', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    const assignments = await listAssignments(deps.db, courseId);
    const set = new Set(assignments.map((a) => a.labId));
    const unset = (await labsInService(deps.db, deps.labs)).filter((lab) => !set.has(lab.definition.id));
    sendPage(res, ctx, `${ctx.t('assignments')} — ${courseId}`, assignmentsBody(ctx, courseId, assignments, unset));
  });
  pages.get('/courses/:course/extensions', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    const assignments = await listAssignments(deps.db, courseId);
    const withExtensions = await Promise.all(assignments.map(async (assignment) => ({ assignment, extensions: await listExtensions(deps.db, assignment.id) })));
    sendPage(res, ctx, `${ctx.t('extensions')} — ${courseId}`, extensionsBody(ctx, courseId, withExtensions));
  });
  pages.get('/courses/:course/webhooks', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const { courseId } = await asInstructor(req);
    const endpoints = await listWebhookEndpoints(deps.db, courseId);
    const withDeliveries = await Promise.all(endpoints.map(async (endpoint) => ({ endpoint, deliveries: await listWebhookDeliveries(deps.db, endpoint.id, 50) })));
    sendPage(res, ctx, `${ctx.t('webhooks')} — ${courseId}`, webhooksBody(ctx, courseId, withDeliveries));
  });
  pages.get('/admin', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const principal = req.principal!;
    if (principal.role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'administrators only');
    const [courses, users, tokens] = await Promise.all([listCourses(deps.db, principal.userId, principal.role), listUsers(deps.db, { limit: 1000, offset: 0 }), listTokens(deps.db, null)]);
    sendPage(res, ctx, ctx.t('administration'), adminBody(ctx, courses, users, tokens));
  });

  pages.get('/submissions/:id', signedIn, async (req, res) => {
    const ctx = pageContext(req, res);
    const principal = req.principal!;
    const id = String(req.params.id);
    const submission = UUID.test(id) ? await getSubmission(deps.db, id) : undefined;
    if (!submission || !(await maySee(deps, principal, submission))) throw new HttpProblem(404, 'Not found', `no submission ${id}`);
    const view = await renderSubmission(deps, submission, principal);
    const assignment = submission.assignmentId ? await getAssignment(deps.db, submission.assignmentId) : undefined;
    const staff = principal.role !== 'student' && submission.userId !== principal.userId && assignment && (await canManageCourse(deps.db, principal.userId, principal.role, assignment.courseId));
    const lab = deps.labs.get(submission.labId);
    // marked when taken, and what the lab says now (submissions taken before files were marked)
    const secret = [...(await secretFilesOf(deps.db, submission.id)), ...((lab && deps.graders[lab.definition.kind]?.secretFiles?.(lab)) ?? [])];
    const extra = staff
      ? html`${regradeButton(ctx, `/v1/submissions/${submission.id}/regrade`, ctx.t('regrade'))}${fileList(ctx, await loadFiles(deps.db, submission.id), secret)}${auditList(ctx, await auditTrail(deps.db, [`submission:${submission.id}`]))}`
      : undefined;
    const backHref = assignment ? `/courses/${encodeURIComponent(assignment.courseId)}${staff ? '' : `/labs/${encodeURIComponent(submission.labId)}`}` : undefined;
    sendPage(res, ctx, `${ctx.t('submissionOf')} — ${labTitle(deps.labs.get(submission.labId), submission.labId, ctx.lang)}`, submissionBody(ctx, view, { backHref, staff: extra }));
  });

  router.use(pages);
  // A failure on a page is shown as a page; the API's own routes keep their problem documents.
  router.use(pageErrors);
  return router;
}
