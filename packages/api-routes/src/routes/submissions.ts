import { audit, canManageCourse, createSubmission, findAssignmentForStudent, getAssignment, getCheckResults, getSubmission, overrideScore, publishedLab, PublishedLabChanged, startRegrade, type Assignment, type Submission } from '@kadai/db';
import type { Principal } from '@kadai/db';
import type { Lab } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import { type Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { randomUUID } from 'node:crypto';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { readSubmission, validateForLab } from '../read-submission';
import { acceptedSubmission, jsonSubmission, regradeRequest, scoreOverride, submissionView as submissionSchema } from '../schemas';
import { streamSubmissionEvents } from '../sse';
import { LookupCache } from '../lookup-cache';
import { submissionView } from '../view';

const TERMINAL = new Set(['graded', 'error', 'rejected']);
/** A submission refused for what it is or for the lab's state, not a failure on kadai's side (which is never retried here: the insert may have committed). */
const isRefusal = (error: unknown) => error instanceof PublishedLabChanged || error instanceof RejectedInputError || (error instanceof HttpProblem && error.status < 500);

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

export function submissionRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  // keyed by user and lab: only authenticated users fill it, so it needs no guard against made-up keys
  const assignments = new LookupCache<Assignment | undefined>(deps.lookupCacheMs, 10_000);

  const submit = {
    summary: 'Submit lab work (multipart: lab + one zip/tar.gz; or JSON: files map or quiz answers)',
    otherBodies: {
      'application/json': jsonSubmission,
      'multipart/form-data': { type: 'object', properties: { lab: { type: 'string' }, archive: { type: 'string', format: 'binary' } }, required: ['lab', 'archive'] },
    },
    answers: {
      202: { description: 'queued', schema: acceptedSubmission },
      200: { description: 'same Idempotency-Key: the earlier submission', schema: acceptedSubmission },
      409: "refused by the course's policy: the assignment is not open or past its deadline, no attempts are left, or too many of this student's submissions to the lab ended in error (free errors are capped; an instructor's regrade frees one); or the lab is withdrawn, or changed twice while the submission was taken (submit again), or no worker can grade it here (a capability the grading cluster lacks)",
    },
    problems: [400, 403, 404, 413, 415, 422],
  };
  /** The lab's version that takes submissions now, ready to grade them; 404, or 409 when it does not. */
  const acceptingLab = async (labId: string) => {
    const published = await publishedLab(deps.db, deps.labs, labId);
    if (!published) throw new HttpProblem(404, 'Unknown lab', `no lab "${labId}"; GET /v1/labs lists them`, [{ field: 'lab', message: `unknown lab "${labId}"` }]);
    const { lab, withdrawnAt } = published;
    if (withdrawnAt) throw new HttpProblem(409, 'Lab withdrawn', `lab "${labId}" was withdrawn on ${withdrawnAt.toISOString()}: it takes no new submissions (earlier ones keep their grades)`);
    return lab;
  };
  api.post('/v1/submissions', submit, async (req, res) => {
    const principal = requireRole(req, 'student', 'instructor', 'admin');
    const idempotencyKey = req.header('idempotency-key')?.slice(0, 200);
    const { labId, files } = await readSubmission(req, deps.limits);
    const validatedCreate = async (lab: Lab) => {
      const grader = deps.graders[lab.definition.kind];
      if (!grader) throw new HttpProblem(422, 'Lab kind not available', `${lab.definition.kind} labs cannot be graded by this server yet`);
      const unavailable = (await deps.unavailableLabs()).get(labId);
      if (unavailable) throw new HttpProblem(409, 'Lab unavailable', `lab "${labId}" cannot be graded on this installation (${unavailable}); no attempt was used — tell your instructor`);
      await validateForLab(lab, grader, files);
      const assignment = await assignments.get(`${principal.userId}/${labId}`, () => findAssignmentForStudent(deps.db, principal.userId, labId));
      const accepted = await createSubmission(deps.db, { id: randomUUID(), userId: principal.userId, labId, labVersion: lab.version, assignment, idempotencyKey, files, secretFiles: grader.secretFiles?.(lab) ?? [], now: new Date(), freeErrorCap: deps.freeErrorCap });
      return { lab, ...accepted };
    };
    // The version this process holds is nearly always the published one, and the insert checks that
    // it is (and that the lab is not withdrawn) in the same statement: only when the submission is
    // refused is the published version read, and the submission taken again if another api
    // published a new one (or withdrew the lab: then 409).
    const held = deps.labs.get(labId);
    const { lab, submission, created } = await (held ? validatedCreate(held) : Promise.reject(new PublishedLabChanged(labId))).catch(async (error: unknown) => {
      if (!isRefusal(error)) throw error;
      const current = await acceptingLab(labId);
      if (current.version === held?.version && !(error instanceof PublishedLabChanged)) throw error;
      return validatedCreate(current).catch((again: unknown) => {
        if (again instanceof PublishedLabChanged) throw new HttpProblem(409, 'Lab changed', `lab "${labId}" changed while your submission was taken; nothing was stored: submit again`);
        throw again;
      });
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

  const shown = { description: 'the submission, filtered by visibility and role', schema: submissionSchema };
  api.get('/v1/submissions/:id', { summary: 'State, score and per-check feedback', answers: { 200: shown }, problems: [404] }, async (req, res) => {
    const { submission, principal } = await visibleSubmission(deps, req);
    res.json(await renderSubmission(deps, submission, principal));
  });

  const events = { description: 'text/event-stream of Submission objects (event name = state) until a terminal state', schema: { type: 'string' }, type: 'text/event-stream' };
  api.get('/v1/submissions/:id/events', { summary: 'Server-Sent Events until a terminal state', answers: { 200: events }, problems: [404] }, async (req, res) => {
    const { submission, principal } = await visibleSubmission(deps, req);
    await streamSubmissionEvents(deps, req, res, submission.id, async () => {
      const current = await getSubmission(deps.db, submission.id);
      if (!current) return { view: undefined, done: true };
      return { view: await renderSubmission(deps, current, principal), done: TERMINAL.has(current.state) };
    });
  });

  const regrade = {
    summary: 'Regrade one submission (instructor, audited): a new grading run',
    body: regradeRequest,
    bodyName: 'regrade',
    answers: { 202: { description: 'queued as a new grading run', schema: z.object({ id: z.uuid(), gradingRun: z.number().int(), state: z.literal('queued') }) } },
    problems: [403, 404, 409, 422],
  };
  api.post('/v1/submissions/:id/regrade', regrade, async (req, res, body) => {
    const { submission, principal } = await gradableByCaller(deps, req);
    const run = await startRegrade(deps.db, submission.id);
    if (run === null) throw new HttpProblem(409, 'Conflict', `submission ${submission.id} is ${submission.state}; only graded or error submissions (or rejected ones holding an earlier grade) whose files are still stored (see KADAI_RETENTION_FILES_DAYS) can be regraded`);
    await audit(deps.db, principal.userId, 'regrade', `submission:${submission.id}`, { run, reason: body.reason });
    await deps.queues.enqueue(submission.labKind, { submissionId: submission.id, run });
    res.status(202).location(`/v1/submissions/${submission.id}`).json({ id: submission.id, gradingRun: run, state: 'queued' });
  });

  const override = { summary: "Set a graded submission's score by hand (instructor, audited with the reason)", body: scoreOverride, bodyName: 'override ({"score": number, "reason": text})', answers: { 200: shown }, problems: [403, 404, 409, 422] };
  api.post('/v1/submissions/:id/override', override, async (req, res, parsed) => {
    const { submission, principal } = await gradableByCaller(deps, req);
    const changed = await overrideScore(deps.db, submission.id, parsed.score);
    if (!changed) throw new HttpProblem(409, 'Conflict', `submission ${submission.id} is ${submission.state}${submission.gradedRun === null ? ' without a grade' : ''} or the score exceeds its maximum ${submission.maxScore}`);
    await audit(deps.db, principal.userId, 'override', `submission:${submission.id}`, { from: changed.previous, to: parsed.score, reason: parsed.reason });
    res.json(await renderSubmission(deps, (await getSubmission(deps.db, submission.id))!, principal));
  });

  return api;
}
