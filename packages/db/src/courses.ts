import type { Queryable } from './pool';

export interface Course {
  id: string;
  title: string;
  createdAt: Date;
}

export async function getCourse(db: Queryable, id: string): Promise<Course | undefined> {
  const { rows } = await db.query<Course>('SELECT id, title, created_at AS "createdAt" FROM courses WHERE id = $1', [id]);
  return rows[0];
}
