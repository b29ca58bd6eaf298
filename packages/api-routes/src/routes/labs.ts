import { maxPoints, type Lab } from '@kadai/catalog';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { labSummary } from '../schemas';

function summary(lab: Lab) {
  const d = lab.definition;
  return { id: d.id, kind: d.kind, chapter: d.chapter, title: d.title, version: lab.version, maxPoints: maxPoints(d), timeLimitSeconds: d.timeLimitSeconds };
}

/**
 * The lab as a student may read it: a quiz without its key and explanations; other kinds with
 * each check's title and points only (what is tested stays the instructor's), hidden ones left out.
 */
function publicDefinition(lab: Lab, role: string) {
  const d = lab.definition;
  if (role !== 'student') return d;
  if (d.kind === 'quiz') return { ...d, questions: d.questions.map(({ answer: _a, explanation: _e, decision: _d, ...q }) => q) };
  const shown = d.checks.filter((c) => (c.visibility ?? d.visibility) !== 'hidden');
  return { ...d, checks: shown.map((c) => ({ id: c.id, title: c.title, points: c.points })) };
}

export function labRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  api.get('/v1/labs', { summary: 'The lab catalog', answers: { 200: { description: 'labs', schema: z.object({ labs: z.array(labSummary) }) } } }, (req, res) => {
    principalOf(req);
    res.json({ labs: [...deps.labs.values()].map(summary) });
  });
  api.get(
    '/v1/labs/:id',
    {
      summary: 'One lab (a quiz without its key for students; checks without their specs)',
      answers: { 200: { description: 'the lab', schema: labSummary.extend({ definition: z.record(z.string(), z.unknown()).describe("the lab's lab.yaml as the caller may read it") }) } },
      problems: [404],
    },
    (req, res) => {
      const principal = principalOf(req);
      const lab = deps.labs.get(String(req.params.id));
      if (!lab) throw new HttpProblem(404, 'Unknown lab', `no lab "${req.params.id}"`);
      res.json({ ...summary(lab), definition: publicDefinition(lab, principal.role) });
    },
  );
  return api;
}
