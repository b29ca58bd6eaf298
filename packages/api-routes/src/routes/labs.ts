import { maxPoints, type Lab } from '@kadai/catalog';
import { audit, currentLab, publishLabs } from '@kadai/db';
import { formatIssue } from '@kadai/errors';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { labFolders, labReload, labSummary } from '../schemas';

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
  // before /v1/labs/:id, which would take "reload" for a lab id
  const folders = {
    summary: "The labs folder as this api last read it (at its start or last reload): each lab's version there or its problems (file:line:col), and the version graded with",
    answers: { 200: { description: 'each lab folder', schema: labFolders } },
    problems: [403],
  };
  api.get('/v1/labs/reload', folders, (req, res) => {
    requireRole(req, 'instructor', 'admin');
    const read = new Map(deps.labs.folderLabs().map((f) => [f.id, f]));
    const ids = [...new Set([...read.keys(), ...deps.labs.keys()])].sort((a, b) => a.localeCompare(b));
    const labs = ids.map((id) => ({ id, version: deps.labs.get(id)?.version ?? null, folderVersion: read.get(id)?.version ?? null }));
    res.json({ labs, errors: [...read.values()].flatMap((f) => f.issues).map((i) => ({ ...i, text: formatIssue(i) })) });
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
      const lab = await currentLab(deps.db, deps.labs, String(req.params.id));
      if (!lab) throw new HttpProblem(404, 'Unknown lab', `no lab "${req.params.id}"`);
      res.json({ ...summary(lab), definition: publicDefinition(lab, principal.role) });
    },
  );
  const reload = {
    summary: "Read the labs folder again and publish it (admin): labs added or changed take effect without a restart — every api and worker grades with the published version from its next grading of each lab",
    answers: { 200: { description: 'every lab folder loaded', schema: labReload } },
    problems: [403, 422],
  };
  api.post('/v1/labs/reload', reload, async (req, res) => {
    const principal = requireRole(req, 'admin');
    const { labs, issues } = await deps.labs.reload();
    // every valid folder is published, changed or not: another api may have published another version since
    await publishLabs(deps.db, labs.filter((l) => l.change !== 'refused').map((l) => deps.labs.get(l.id)!));
    const changed = labs.filter((l) => l.change === 'added' || l.change === 'updated');
    await audit(deps.db, principal.userId, 'labs-reload', 'catalog', { changed: changed.map(({ id, version, previousVersion }) => ({ id, version, previousVersion })), refused: issues.length });
    if (changed.length > 0) deps.log.info({ changed }, 'labs reloaded');
    if (issues.length === 0) return void res.json({ labs });
    const refused = labs.filter((l) => l.change === 'refused').map((l) => (l.version ? `${l.id} (version ${l.version} kept)` : l.id));
    const loaded = changed.length > 0 ? `; loaded: ${changed.map((l) => `${l.id} ${l.version}`).join(', ')}` : '';
    throw new HttpProblem(422, 'Lab refused', `not loaded: ${refused.join(', ')}${loaded}`, issues);
  });
  return api;
}
