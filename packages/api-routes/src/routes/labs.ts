import { maxPoints, type FolderLab, type Lab, type LabChange } from '@kadai/catalog';
import { audit, labsInService, publishedLab, publishedVersions, publishLabs, withdrawLabs, type PublishedVersion } from '@kadai/db';
import { formatIssue } from '@kadai/errors';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { principalOf, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { labFolders, labReload, labSummary } from '../schemas';

function summary(lab: Lab, unavailable: Map<string, string>) {
  const d = lab.definition;
  const why = unavailable.get(d.id);
  return { id: d.id, kind: d.kind, chapter: d.chapter, title: d.title, version: lab.version, maxPoints: maxPoints(d), timeLimitSeconds: d.timeLimitSeconds, ...(why ? { unavailable: why } : {}) };
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

/** What a reload did to a lab, against what PostgreSQL published before (another api may have published since this one read its folder). */
function changeOf({ id, change, version }: LabChange, published: PublishedVersion | undefined) {
  const previousVersion = published?.version ?? null;
  if (change === 'refused') return { id, change, version: previousVersion, previousVersion };
  const now = !published ? 'added' : published.withdrawnAt ? 'restored' : published.version === version ? 'unchanged' : 'updated';
  return { id, change: now, version, previousVersion };
}

/** What the next reload would do to a lab, from its folder as it is now and what PostgreSQL publishes. */
function onReload(folder: FolderLab | undefined, published: PublishedVersion | undefined) {
  if (folder && folder.issues.length > 0) return 'refuse';
  if (!folder) return published && !published.withdrawnAt ? 'withdraw' : 'none';
  if (!published) return 'add';
  if (published.withdrawnAt) return 'restore';
  return published.version === folder.version ? 'none' : 'update';
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

export function labRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  api.get('/v1/labs', { summary: 'The lab catalog: every published lab in service (a withdrawn one is left out)', answers: { 200: { description: 'labs', schema: z.object({ labs: z.array(labSummary) }) } } }, async (req, res) => {
    principalOf(req);
    // the catalog still answers while Redis does not (nothing is then known to be unavailable)
    const [labs, unavailable] = await Promise.all([labsInService(deps.db, deps.labs), deps.unavailableLabs().catch(() => new Map<string, string>())]);
    res.json({ labs: labs.map((lab) => summary(lab, unavailable)) });
  });
  // before /v1/labs/:id, which would take "reload" for a lab id
  const folders = {
    summary: "What a reload would do (instructors, admins): the labs folder read now, each lab's version there or its problems (file:line:col, relative to the folder), against the version published and whether it is withdrawn",
    answers: { 200: { description: 'each lab, in the folder or published', schema: labFolders } },
    problems: [403],
  };
  api.get('/v1/labs/reload', folders, async (req, res) => {
    requireRole(req, 'instructor', 'admin');
    const [read, published] = await Promise.all([deps.labs.scan(), publishedVersions(deps.db)]);
    const folder = new Map(read.map((f) => [f.id, f]));
    const versions = new Map(published.map((p) => [p.id, p]));
    const labs = [...new Set([...folder.keys(), ...versions.keys()])].sort((a, b) => a.localeCompare(b)).map((id) => ({
      id,
      version: versions.get(id)?.version ?? null,
      folderVersion: folder.get(id)?.version ?? null,
      withdrawnAt: versions.get(id)?.withdrawnAt?.toISOString() ?? null,
      onReload: onReload(folder.get(id), versions.get(id)),
    }));
    res.json({ labs, errors: read.flatMap((f) => f.issues).map((i) => ({ ...i, text: formatIssue(i) })) });
  });
  api.get(
    '/v1/labs/:id',
    {
      summary: 'One lab (a quiz without its key for students; checks without their specs)',
      answers: {
        200: {
          description: 'the lab',
          schema: labSummary.extend({
            definition: z.record(z.string(), z.unknown()).describe("the lab's lab.yaml as the caller may read it"),
            withdrawnAt: z.string().nullable().describe('when a reload withdrew it (no new submissions; earlier ones stay graded and readable); null: in service'),
          }),
        },
      },
      problems: [404],
    },
    async (req, res) => {
      const principal = principalOf(req);
      const published = await publishedLab(deps.db, deps.labs, String(req.params.id));
      if (!published) throw new HttpProblem(404, 'Unknown lab', `no lab "${req.params.id}"`);
      const { lab, withdrawnAt } = published;
      res.json({ ...summary(lab, await deps.unavailableLabs().catch(() => new Map<string, string>())), definition: publicDefinition(lab, principal.role), withdrawnAt: withdrawnAt?.toISOString() ?? null });
    },
  );
  const reload = {
    summary:
      'Read the labs folder again and publish it (admin): labs added or changed take effect without a restart — every api and worker grades with the published version from its next grading of each lab; a lab whose folder is gone is withdrawn (no new submissions; what was handed in is still graded)',
    answers: { 200: { description: 'every lab folder loaded', schema: labReload } },
    problems: [403, 422],
  };
  api.post('/v1/labs/reload', reload, async (req, res) => {
    const principal = requireRole(req, 'admin');
    const before = new Map((await publishedVersions(deps.db)).map((p) => [p.id, p]));
    const { labs: read, issues } = await deps.labs.reload();
    // a folder mounted wrong or emptied by mistake would otherwise withdraw every lab
    if (read.length === 0) throw new HttpProblem(422, 'No lab in the labs folder', 'the labs folder holds no lab folder: nothing was published or withdrawn (is the right folder mounted?)');
    // every valid folder is published, changed or not: another api may have published another version since
    await publishLabs(deps.db, read.filter((l) => l.change !== 'refused').map((l) => deps.labs.get(l.id)!));
    const inFolder = new Set(read.map((l) => l.id));
    const withdrawn = await withdrawLabs(deps.db, [...before.keys()].filter((id) => !inFolder.has(id)));
    const labs = [
      ...read.map((l) => changeOf(l, before.get(l.id))),
      ...withdrawn.map((id) => ({ id, change: 'withdrawn', version: before.get(id)!.version, previousVersion: before.get(id)!.version })),
    ].sort(byId);
    const changed = labs.filter((l) => l.change !== 'unchanged' && l.change !== 'refused');
    await audit(deps.db, principal.userId, 'labs-reload', 'catalog', { changed: changed.map(({ id, change, version, previousVersion }) => ({ id, change, version, previousVersion })), refused: issues.length });
    if (changed.length > 0) deps.log.info({ changed }, 'labs reloaded');
    if (issues.length === 0) return void res.json({ labs });
    const refused = labs.filter((l) => l.change === 'refused').map((l) => (l.version ? `${l.id} (version ${l.version} kept)` : l.id));
    const loaded = changed.length > 0 ? `; ${changed.map((l) => `${l.id} ${l.change} ${l.version}`).join(', ')}` : '';
    throw new HttpProblem(422, 'Lab refused', `not loaded: ${refused.join(', ')}${loaded}`, issues);
  });
  return api;
}
