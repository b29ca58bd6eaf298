import { maxPoints, type Lab, type LiveCatalog } from '@kadai/catalog';
import type { InputIssue } from '@kadai/errors';
import type { Queryable } from './pool';

/** Records the catalog as loaded; every version stays in lab_versions so old results keep their text. */
export async function syncLabs(db: Queryable, labs: Iterable<Lab>): Promise<void> {
  for (const { definition, version } of labs) {
    await db.query(
      `INSERT INTO labs (id, kind, version, title_ja, title_en, max_points) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, version = EXCLUDED.version, title_ja = EXCLUDED.title_ja,
         title_en = EXCLUDED.title_en, max_points = EXCLUDED.max_points, updated_at = now()
       WHERE labs.version <> EXCLUDED.version`,
      [definition.id, definition.kind, version, definition.title.ja, definition.title.en, maxPoints(definition)],
    );
    await db.query(
      'INSERT INTO lab_versions (lab_id, version, definition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [definition.id, version, JSON.stringify(definition)],
    );
  }
}

/**
 * The lab as the catalog now defines it. PostgreSQL's `labs.version` is the version last loaded by any
 * api or worker (a reload, a start); when this process holds another, it reads that lab's folder
 * again first, so the api and every worker agree without restarting. A folder that fails validation
 * leaves this process's version in use (its issues come back); a different version read here is
 * recorded, so the others follow it in turn.
 */
export async function currentLab(db: Queryable, catalog: LiveCatalog, id: string): Promise<{ lab?: Lab; issues: InputIssue[] }> {
  const { rows } = await db.query<{ version: string }>('SELECT version FROM labs WHERE id = $1', [id]);
  const held = catalog.get(id);
  const recorded = rows[0]?.version;
  if (recorded === undefined || recorded === held?.version) return { lab: held, issues: [] };
  const { issues } = await catalog.reloadLab(id);
  const lab = catalog.get(id);
  if (lab && lab.version !== recorded && lab.version !== held?.version) await syncLabs(db, [lab]);
  return { lab, issues };
}
