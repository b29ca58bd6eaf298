import { maxPoints, type Lab } from '@kadai/catalog';
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
