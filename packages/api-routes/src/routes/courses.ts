import { audit, canManageCourse, courseResults, currentLab, getAssignment, gradedSubmissionsOf, startRegrade, type CourseResultRow } from '@kadai/db';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem, UUID } from '../problem';
import { courseResultRow, regradeRequest } from '../schemas';

const CSV_COLUMNS: Array<keyof CourseResultRow> = ['login', 'displayName', 'labId', 'assignmentId', 'scoring', 'attempts', 'score', 'maxScore', 'state', 'late', 'submissionId', 'submittedAt'];

function csvCell(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
  // Quote everything that could break a row, and defuse spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: CourseResultRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  // The byte-order mark makes Excel in a Japanese locale read UTF-8 instead of Shift_JIS.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function courseRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();

  const results = {
    summary: 'Class results (instructor, admin, LMS): one row per student and assignment, best or last attempt; ?format=csv or Accept: text/csv for CSV',
    parameters: [{ name: 'format', in: 'query' as const, schema: { enum: ['json', 'csv'] } }],
    answers: {
      200: {
        description: 'one row per student and assignment',
        schema: z.object({ course: z.string(), results: z.array(courseResultRow) }),
        also: { 'text/csv': { type: 'string', description: 'UTF-8 with a byte-order mark' } },
      },
    },
    problems: [403],
  };
  api.get('/v1/courses/:id/results', results, async (req, res) => {
    const principal = requireRole(req, 'instructor', 'admin', 'lms');
    const courseId = String(req.params.id);
    if (!(await canManageCourse(deps.db, principal.userId, principal.role, courseId))) {
      throw new HttpProblem(403, 'Forbidden', `you do not teach course ${courseId}`);
    }
    const rows = await courseResults(deps.db, courseId);
    const wantsCsv = req.query.format === 'csv' || req.accepts(['application/json', 'text/csv']) === 'text/csv';
    if (wantsCsv) {
      res.type('text/csv; charset=utf-8').attachment(`${courseId}-results.csv`).send(toCsv(rows));
      return;
    }
    res.json({ course: courseId, results: rows });
  });

  const regraded = z.object({ assignment: z.uuid(), regrading: z.number().int(), submissions: z.array(z.uuid()) });
  const regrade = { summary: 'Regrade every graded submission of an assignment (instructor, audited): each a new grading run', body: regradeRequest, bodyName: 'regrade', answers: { 202: { description: 'queued', schema: regraded } }, problems: [403, 404, 409, 422] };
  api.post('/v1/assignments/:id/regrade', regrade, async (req, res, body) => {
    const principal = requireRole(req, 'instructor', 'admin');
    const id = String(req.params.id);
    const assignment = UUID.test(id) ? await getAssignment(deps.db, id) : undefined;
    if (!assignment) throw new HttpProblem(404, 'Not found', `no assignment ${id}`);
    if (!(await canManageCourse(deps.db, principal.userId, principal.role, assignment.courseId))) {
      throw new HttpProblem(403, 'Forbidden', `you do not teach course ${assignment.courseId}`);
    }
    const lab = await currentLab(deps.db, deps.labs, assignment.labId);
    if (!lab) throw new HttpProblem(409, 'Conflict', `lab ${assignment.labId} is no longer in the catalog`);
    const queued: string[] = [];
    for (const submissionId of await gradedSubmissionsOf(deps.db, id, principal.userId)) {
      const run = await startRegrade(deps.db, submissionId);
      if (run === null) continue;
      await deps.queues.enqueue(lab.definition.kind, { submissionId, run });
      queued.push(submissionId);
    }
    await audit(deps.db, principal.userId, 'regrade-assignment', `assignment:${id}`, { submissions: queued.length, reason: body.reason });
    res.status(202).json({ assignment: id, regrading: queued.length, submissions: queued });
  });

  return api;
}
