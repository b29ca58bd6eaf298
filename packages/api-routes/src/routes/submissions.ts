import { audit, canManageCourse, createSubmission, findAssignmentForStudent, getAssignment, getCheckResults, getSubmission, overrideScore, startRegrade, type Assignment, type Submission } from '@kadai/db';
import type { Principal } from '@kadai/db';
import { RejectedInputError } from '@kadai/errors';
import { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { readSubmission, validateForLab } from '../read-submission';
import { scoreOverride } from '../schemas';
import { streamSubmissionEvents } from '../sse';
import { LookupCache } from '../lookup-cache';
import { submissionView } from '../view';

const TERMINAL = new Set(['graded', 'error', 'rejected']);

/**
 * A submission the caller may see: their own; as an instructor, those of the courses they teach;
 * as an admin or the LMS, any. Others get 404 rather than 403: nothing is learnt about other work.
 */
async function visibleSubmission(deps: ApiDeps, req: Request): Promise<{ submission: Submission; principal: Principal }> {
  const principal = principalOf(req);
  const id = String(req.params.id);
  const submission = UUID.test(id) ? await getSubmission(deps.db, id) : undefined;
  if (!submission || !(await maySee(deps, principal, submission))) throw new HttpProblem(404, 'Not found', `no submission ${id}`);
  return { submission, principal };
}

export async function maySee(deps: ApiDeps, principal: Principal, submission: Submission): Promise<boolean> {
  if (submission.userId === principal.userId || principal.role === 'admin' || principal.role === 'lms') return true;
  if (principal.role !== 'instructor' || !submission.assignmentId) return false;
  const assignment = await getAssignment(deps.db, submission.assignmentId);
  return Boolean(assignment && (await canManageCourse(deps.db, principal.userId, principal.role, assignment.courseId)));
}

/**
 * A submission the caller may regrade or override: one they may see and manage, never their own (an
 * instructor does not grade their own work).
 */
async function gradableByCaller(deps: ApiDeps, req: Request): Promise<{ submission: Submission; principal: Principal }> {
  requireRole(req, 'instructor', 'admin');
  const found = await visibleSubmission(deps, req);
  if (found.submission.userId === found.principal.userId) {
    throw new HttpProblem(403, 'Forbidden', `submission ${found.submission.id} is your own; another instructor or an admin regrades or overrides it`);
  }
  return found;
}

export async function renderSubmission(deps: ApiDeps, submission: Submission, principal: Principal) {
  const [results, assignment] = await Promise.all([
    // the checks of the grade that counts: a regrade in flight, or one that failed, shows the previous run's
    getCheckResults(deps.db, submission.id, submission.gradedRun ?? submission.gradingRun),
    // as it applies to the submitter: an extension moves when after_due feedback is released to them
    submission.assignmentId ? getAssignment(deps.db, submission.assignmentId, submission.userId) : undefined,
  ]);
  return submissionView(submission, results, assignment, principal);
}

export function submissionRoutes(deps: ApiDeps): Router {
  const router = Router();
  // keyed by user and lab: only authenticated users fill it, so it needs no guard against made-up keys
  const assignments = new LookupCache<Assignment | undefined>(deps.lookupCacheMs, 10_000);

  router.post('/v1/submissions', async (req, res) => {
    const principal = requireRole(req, 'student', 'instructor', 'admin');
    const idempotencyKey = req.header('idempotency-key')?.slice(0, 200);
    const { labId, files } = await readSubmission(req, deps.limits);
    const lab = deps.labs.get(labId);
    if (!lab) throw new HttpProblem(404, 'Unknown lab', `no lab "${labId}"; GET /v1/labs lists them`, [{ field: 'lab', message: `unknown lab "${labId}"` }]);
    const grader = deps.graders[lab.definition.kind];
    if (!grader) throw new HttpProblem(422, 'Lab kind not available', `${lab.definition.kind} labs cannot be graded by this server yet`);
    await validateForLab(lab, grader, files);

    const assignment = await assignments.get(`${principal.userId}/${labId}`, () => findAssignmentForStudent(deps.db, principal.userId, labId));
    const { submission, created } = await createSubmission(deps.db, {
      id: randomUUID(),
      userId: principal.userId,
      labId,
      labVersion: lab.version,
      assignment,
      idempotencyKey,
      files,
      now: new Date(),
      freeErrorCap: deps.freeErrorCap,
    });
    if (created) {
      // Postgres holds the submission now; if Redis is down the sweeper enqueues it later.
      await deps.queues.enqueue(lab.definition.kind, { submissionId: submission.id, run: 1 }).catch((err) =>
        deps.log.warn({ err, submissionId: submission.id }, 'enqueue failed; the sweeper will retry'),
      );
      deps.metrics.submissionsAccepted.inc({ kind: lab.definition.kind });
      deps.log.info({ submissionId: submission.id, labId, attempt: submission.attempt }, 'submission accepted');
    }
    const location = `/v1/submissions/${submission.id}`;
    res.status(created ? 202 : 200).location(location).json({ id: submission.id, state: submission.state, attempt: submission.attempt, location });
  });

  router.get('/v1/submissions/:id', async (req, res) => {
    const { submission, principal } = await visibleSubmission(deps, req);
    res.json(await renderSubmission(deps, submission, principal));
  });

  router.get('/v1/submissions/:id/events', async (req, res) => {
    const { submission, principal } = await visibleSubmission(deps, req);
    await streamSubmissionEvents(deps, req, res, submission.id, async () => {
      const current = await getSubmission(deps.db, submission.id);
      if (!current) return { view: undefined, done: true };
      return { view: await renderSubmission(deps, current, principal), done: TERMINAL.has(current.state) };
    });
  });

  router.post('/v1/submissions/:id/regrade', async (req, res) => {
    const { submission, principal } = await gradableByCaller(deps, req);
    const run = await startRegrade(deps.db, submission.id);
    if (run === null) throw new HttpProblem(409, 'Conflict', `submission ${submission.id} is ${submission.state}; only graded or error submissions (or rejected ones holding an earlier grade) can be regraded`);
    await audit(deps.db, principal.userId, 'regrade', `submission:${submission.id}`, { run, reason: String(req.body?.reason ?? '') });
    await deps.queues.enqueue(submission.labKind, { submissionId: submission.id, run });
    res.status(202).location(`/v1/submissions/${submission.id}`).json({ id: submission.id, gradingRun: run, state: 'queued' });
  });

  router.post('/v1/submissions/:id/override', async (req, res) => {
    const { submission, principal } = await gradableByCaller(deps, req);
    const parsed = scoreOverride.safeParse(req.body);
    if (!parsed.success) {
      throw new RejectedInputError('an override needs {"score": number, "reason": text}', parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
    }
    const changed = await overrideScore(deps.db, submission.id, parsed.data.score);
    if (!changed) throw new HttpProblem(409, 'Conflict', `submission ${submission.id} is ${submission.state}${submission.gradedRun === null ? ' without a grade' : ''} or the score exceeds its maximum ${submission.maxScore}`);
    await audit(deps.db, principal.userId, 'override', `submission:${submission.id}`, { from: changed.previous, to: parsed.data.score, reason: parsed.data.reason });
    res.json(await renderSubmission(deps, (await getSubmission(deps.db, submission.id))!, principal));
  });

  return router;
}
