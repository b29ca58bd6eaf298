import { LiveCatalog, maxPoints, type CheckValidators, type Lab, type LabFiles } from '@kadai/catalog';
import { formatIssue, InfrastructureError } from '@kadai/errors';
import type { Queryable } from './pool';

/** A version's files as lab_versions.files keeps them: path → base64. */
type StoredFiles = Record<string, string>;

const stored = (files: LabFiles): StoredFiles => Object.fromEntries([...files].map(([rel, content]) => [rel, content.toString('base64')]));
const restored = (files: StoredFiles): LabFiles => new Map(Object.entries(files).map(([rel, content]) => [rel, Buffer.from(content, 'base64')]));

/**
 * Publishes labs: each version's files go to lab_versions (where they stay, so old results keep
 * their text), and labs.version names the version every api and worker grades with from then on; a
 * withdrawn lab is back in service. One statement per lab, so no process sees a published version
 * without its files.
 */
export async function publishLabs(db: Queryable, labs: Iterable<Lab>): Promise<void> {
  for (const { definition, version, files } of labs) {
    await db.query(
      `WITH published AS (
         INSERT INTO labs (id, kind, version, title_ja, title_en, max_points) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, version = EXCLUDED.version, title_ja = EXCLUDED.title_ja,
           title_en = EXCLUDED.title_en, max_points = EXCLUDED.max_points, withdrawn_at = NULL, updated_at = now()
         WHERE labs.version <> EXCLUDED.version OR labs.withdrawn_at IS NOT NULL)
       INSERT INTO lab_versions (lab_id, version, definition, files) VALUES ($1, $3, $7, $8)
       ON CONFLICT (lab_id, version) DO UPDATE SET files = EXCLUDED.files WHERE lab_versions.files IS NULL`,
      [definition.id, definition.kind, version, definition.title.ja, definition.title.en, maxPoints(definition), JSON.stringify(definition), stored(files)],
    );
  }
}

/** The published version, from its files (their hash must be the version), held by the catalog from now on. */
async function adoptPublished(catalog: LiveCatalog, id: string, version: string, files: StoredFiles | null): Promise<Lab> {
  if (!files) throw new InfrastructureError(`lab ${id} version ${version} is published without its files (recorded by an older kadai): a reload of the labs folder publishes the lab again`, true);
  const { lab, issues } = await catalog.adopt(id, version, restored(files));
  if (lab) return lab;
  throw new InfrastructureError(`lab ${id} version ${version}, as published, cannot be loaded by this process: ${issues.map(formatIssue).join('; ')}`, true);
}

/** A lab as PostgreSQL publishes it: its version, and since when it is withdrawn (null: in service). */
export interface PublishedVersion {
  id: string;
  version: string;
  withdrawnAt: Date | null;
}

export async function publishedVersions(db: Queryable): Promise<PublishedVersion[]> {
  const { rows } = await db.query<PublishedVersion>('SELECT id, version, withdrawn_at AS "withdrawnAt" FROM labs ORDER BY id');
  return rows;
}

/**
 * Takes labs out of service (a reload found their folders gone): no new submissions, out of the
 * catalog; their published version stays, to grade what was handed in and to regrade. Returns the
 * ids withdrawn now (not those withdrawn before).
 */
export async function withdrawLabs(db: Queryable, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('UPDATE labs SET withdrawn_at = now(), updated_at = now() WHERE id = ANY($1) AND withdrawn_at IS NULL RETURNING id', [ids]);
  return rows.map((r) => r.id).sort((a, b) => a.localeCompare(b));
}

/**
 * The lab at the version PostgreSQL publishes (labs.version), and whether it is withdrawn: the
 * version this process holds when it is that one, else that version's files from PostgreSQL — never
 * this process's folder, which may hold an edit nobody published. Undefined for a lab never
 * published (a folder no reload read). A published version this process cannot load is a retryable
 * InfrastructureError (retried, then `error`: never a student's zero).
 */
export async function publishedLab(db: Queryable, catalog: LiveCatalog, id: string): Promise<{ lab: Lab; withdrawnAt: Date | null } | undefined> {
  const { rows } = await db.query<{ version: string; withdrawn_at: Date | null }>('SELECT version, withdrawn_at FROM labs WHERE id = $1', [id]);
  const published = rows[0];
  if (!published) return undefined;
  const held = catalog.get(id);
  if (published.version === held?.version) return { lab: held, withdrawnAt: published.withdrawn_at };
  const version = await db.query<{ files: StoredFiles | null }>('SELECT files FROM lab_versions WHERE lab_id = $1 AND version = $2', [id, published.version]);
  return { lab: await adoptPublished(catalog, id, published.version, version.rows[0]?.files ?? null), withdrawnAt: published.withdrawn_at };
}

/** The published version a submission of this lab is graded with (withdrawn or not: what was handed in is graded). */
export async function currentLab(db: Queryable, catalog: LiveCatalog, id: string): Promise<Lab | undefined> {
  return (await publishedLab(db, catalog, id))?.lab;
}

/**
 * The catalog students and instructors see: every published lab in service, at its published
 * version. One this process cannot load is left out of the list (its submissions end in `error`,
 * which says why) rather than failing the whole catalog.
 */
export async function labsInService(db: Queryable, catalog: LiveCatalog): Promise<Lab[]> {
  const labs: Lab[] = [];
  for (const { id, version, withdrawnAt } of await publishedVersions(db)) {
    if (withdrawnAt) continue;
    const held = catalog.get(id);
    const unloadable = (error: unknown) => (error instanceof InfrastructureError ? undefined : Promise.reject(error));
    const lab = held?.version === version ? held : await currentLab(db, catalog, id).catch(unloadable);
    if (lab) labs.push(lab);
  }
  return labs;
}

/**
 * A process's catalog at start: its labs folder read, and each lab PostgreSQL publishes held at the
 * published version (from its files), whatever the folder holds. Only a reload (POST
 * /v1/labs/reload) publishes, changes or withdraws labs — never a process's start, which in a rolling
 * upgrade may be an old image's. Two exceptions, where there is nothing published to keep: a
 * database that publishes no lab at all (kadai's first start) gets the folder's labs, and a lab
 * whose published version was recorded without its files (by an older kadai) gets the folder's
 * version. A folder lab never published is not held (nothing may grade or accept it before a
 * reload). A refused lab folder does not stop the process; it and every difference between folder
 * and PostgreSQL come back as warnings, file:line:col relative to the labs folder.
 */
export async function openCatalog(db: Queryable, labsDir: string, validators: CheckValidators): Promise<{ labs: LiveCatalog; warnings: string[] }> {
  const labs = await LiveCatalog.load(labsDir, validators);
  const folder = new Map(labs.folderLabs().map((f) => [f.id, f]));
  const { rows } = await db.query<{ id: string; version: string; withdrawn: boolean; files: StoredFiles | null }>(
    'SELECT l.id, l.version, l.withdrawn_at IS NOT NULL AS withdrawn, v.files FROM labs l LEFT JOIN lab_versions v ON v.lab_id = l.id AND v.version = l.version',
  );
  const firstStart = rows.length === 0;
  const withoutFiles = new Set(rows.filter((r) => r.files === null).map((r) => r.id));
  await publishLabs(db, [...labs.values()].filter((lab) => firstStart || withoutFiles.has(lab.definition.id)));
  const warnings: string[] = [];
  const reload = 'until an admin reloads the labs folder (kadai labs reload; kadai labs status lists what a reload would do)';
  const known = new Set(rows.map((r) => r.id));
  for (const lab of [...labs.values()]) {
    const id = lab.definition.id;
    if (firstStart || known.has(id)) continue;
    labs.delete(id);
    warnings.push(`lab ${id}: in the labs folder (version ${lab.version}) but never published: not graded or listed ${reload}`);
  }
  for (const { id, version, withdrawn, files } of rows.filter((r) => r.files !== null)) {
    if (labs.get(id)?.version !== version) await adoptPublished(labs, id, version, files).catch((error: Error) => warnings.push(error.message));
    const read = folder.get(id);
    if (withdrawn && read) warnings.push(`lab ${id}: withdrawn, but its folder is back: it stays withdrawn ${reload}`);
    else if (read?.version && read.version !== version) warnings.push(`lab ${id}: the labs folder holds version ${read.version}, not published: grading uses the published ${version} ${reload}`);
    else if (!read && !withdrawn) warnings.push(`lab ${id}: published (${version}) but its folder is gone: it stays in service ${reload}, which withdraws it`);
  }
  for (const { id, issues } of folder.values()) {
    if (issues.length === 0) continue;
    const kept = labs.get(id) ? `version ${labs.get(id)!.version} kept` : 'not loaded';
    warnings.push(`lab ${id} refused (${kept}), in ${labsDir}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  }
  return { labs, warnings };
}
