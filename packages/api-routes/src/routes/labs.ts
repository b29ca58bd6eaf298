import { maxPoints, type Lab } from '@kadai/catalog';
import { audit, currentLab, syncLabs } from '@kadai/db';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { labReload, labSummary } from '../schemas';

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
    async (req, res) => {
      const principal = principalOf(req);
      const { lab } = await currentLab(deps.db, deps.labs, String(req.params.id));
      if (!lab) throw new HttpProblem(404, 'Unknown lab', `no lab "${req.params.id}"`);
      res.json({ ...summary(lab), definition: publicDefinition(lab, principal.role) });
    },
  );
  const reload = {
    summary: "Read the labs folder again (admin): labs added or changed take effect without a restart; the workers follow at their next grading of each lab",
    answers: { 200: { description: 'every lab folder loaded', schema: labReload } },
    problems: [403, 422],
  };
  api.post('/v1/labs/reload', reload, async (req, res) => {
    const principal = requireRole(req, 'admin');
    const { labs, issues } = await deps.labs.reload();
    const changed = labs.filter((l) => l.change === 'added' || l.change === 'updated');
    await syncLabs(deps.db, changed.map((l) => deps.labs.get(l.id)!));
    await audit(deps.db, principal.userId, 'labs-reload', 'catalog', { changed: changed.map(({ id, version, previousVersion }) => ({ id, version, previousVersion })), refused: issues.length });
    if (changed.length > 0) deps.log.info({ changed }, 'labs reloaded');
    if (issues.length === 0) return void res.json({ labs });
    const refused = labs.filter((l) => l.change === 'refused').map((l) => (l.version ? `${l.id} (version ${l.version} kept)` : l.id));
    const loaded = changed.length > 0 ? `; loaded: ${changed.map((l) => `${l.id} ${l.version}`).join(', ')}` : '';
    throw new HttpProblem(422, 'Lab refused', `not loaded: ${refused.join(', ')}${loaded}`, issues);
  });
  return api;
}
