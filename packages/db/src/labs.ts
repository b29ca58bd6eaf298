import { LiveCatalog, maxPoints, type CheckValidators, type Lab, type LabFiles } from '@kadai/catalog';
import { formatIssue, InfrastructureError } from '@kadai/errors';
import type { Queryable } from './pool';

/** A version's files as lab_versions.files keeps them: path → base64. */
type StoredFiles = Record<string, string>;

const stored = (files: LabFiles): StoredFiles => Object.fromEntries([...files].map(([rel, content]) => [rel, content.toString('base64')]));
const restored = (files: StoredFiles): LabFiles => new Map(Object.entries(files).map(([rel, content]) => [rel, Buffer.from(content, 'base64')]));

/**
 * Publishes labs: each version's files go to lab_versions (where they stay, so old results keep
 * their text), and labs.version names the version every api and worker grades with from then on.
 * One statement per lab, so no process sees a published version without its files.
 */
export async function publishLabs(db: Queryable, labs: Iterable<Lab>): Promise<void> {
  for (const { definition, version, files } of labs) {
    await db.query(
      `WITH published AS (
         INSERT INTO labs (id, kind, version, title_ja, title_en, max_points) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, version = EXCLUDED.version, title_ja = EXCLUDED.title_ja,
           title_en = EXCLUDED.title_en, max_points = EXCLUDED.max_points, updated_at = now()
         WHERE labs.version <> EXCLUDED.version)
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

/**
 * The lab at the version PostgreSQL publishes (labs.version): the one this process holds when it is
 * that version, else that version's files from PostgreSQL — never this process's folder, which may
 * hold an edit nobody published. A published version this process cannot load is a retryable
 * InfrastructureError (retried, then `error`: never a student's zero).
 */
export async function currentLab(db: Queryable, catalog: LiveCatalog, id: string): Promise<Lab | undefined> {
  const { rows } = await db.query<{ version: string }>('SELECT version FROM labs WHERE id = $1', [id]);
  const held = catalog.get(id);
  const published = rows[0]?.version;
  if (published === undefined || published === held?.version) return held;
  const version = await db.query<{ files: StoredFiles | null }>('SELECT files FROM lab_versions WHERE lab_id = $1 AND version = $2', [id, published]);
  return adoptPublished(catalog, id, published, version.rows[0]?.files ?? null);
}

/**
 * A process's catalog at start: its labs folder read, and then each lab PostgreSQL publishes held at
 * the published version (from its files), whatever the folder holds — an edit of the folder takes
 * effect when an admin reloads it (POST /v1/labs/reload), never because some process restarted. The
 * folder's labs PostgreSQL has never published (a first start, a new lab, a version recorded without
 * its files) are published. A refused lab folder does not stop the process; it and every difference
 * between folder and published version come back as warnings, file:line:col.
 */
export async function openCatalog(db: Queryable, labsDir: string, validators: CheckValidators): Promise<{ labs: LiveCatalog; warnings: string[] }> {
  const labs = await LiveCatalog.load(labsDir, validators);
  const folder = new Map(labs.folderLabs().map((f) => [f.id, f]));
  const { rows } = await db.query<{ id: string; version: string; files: StoredFiles | null }>(
    'SELECT l.id, l.version, v.files FROM labs l LEFT JOIN lab_versions v ON v.lab_id = l.id AND v.version = l.version',
  );
  const published = new Map(rows.filter((r) => r.files !== null).map((r) => [r.id, r]));
  await publishLabs(db, [...labs.values()].filter((lab) => !published.has(lab.definition.id)));
  const warnings: string[] = [];
  for (const { id, version, files } of published.values()) {
    if (labs.get(id)?.version !== version) await adoptPublished(labs, id, version, files).catch((error: Error) => warnings.push(error.message));
    const read = folder.get(id);
    if (read?.version && read.version !== version) warnings.push(`lab ${id}: the labs folder holds version ${read.version}, not published: grading uses the published ${version} until an admin reloads the folder (POST /v1/labs/reload)`);
  }
  for (const { id, issues } of folder.values()) {
    if (issues.length === 0) continue;
    const kept = labs.get(id) ? `version ${labs.get(id)!.version} kept` : 'not loaded';
    warnings.push(`lab ${id} refused (${kept}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  }
  return { labs, warnings };
}
