import type { Queryable } from './pool';
import type { Role } from './tokens';

export interface User {
  id: string;
  login: string;
  displayName: string;
  role: Role;
  createdAt: Date;
}

const USER_COLUMNS = 'u.id, u.login, u.display_name AS "displayName", u.role, u.created_at AS "createdAt"';

export async function getUserByLogin(db: Queryable, login: string): Promise<User | undefined> {
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.login = $1`, [login]);
  return rows[0];
}

/** Creates a user; undefined when the login is taken. */
export async function createUser(db: Queryable, login: string, displayName: string, role: Role): Promise<User | undefined> {
  const { rows } = await db.query<User>(
    `INSERT INTO users AS u (login, display_name, role) VALUES ($1, $2, $3) ON CONFLICT (login) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [login, displayName, role],
  );
  return rows[0];
}

export async function updateUser(db: Queryable, login: string, change: { displayName?: string; role?: Role }): Promise<User | undefined> {
  const { rows } = await db.query<User>(
    `UPDATE users u SET display_name = coalesce($2, u.display_name), role = coalesce($3, u.role) WHERE u.login = $1 RETURNING ${USER_COLUMNS}`,
    [login, change.displayName ?? null, change.role ?? null],
  );
  return rows[0];
}

export async function listUsers(db: Queryable, filter: { role?: Role; limit: number; offset: number }): Promise<User[]> {
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users u WHERE $1::text IS NULL OR u.role = $1 ORDER BY u.login LIMIT $2 OFFSET $3`, [
    filter.role ?? null,
    filter.limit,
    filter.offset,
  ]);
  return rows;
}

/**
 * A roster's student or instructor: created as a student (or instructor) if new; an existing user
 * gets the roster's name but keeps their role (a roster never demotes an admin or promotes anyone).
 */
export async function ensureRosterUser(db: Queryable, login: string, displayName: string, role: 'student' | 'instructor'): Promise<{ id: string; created: boolean }> {
  const { rows } = await db.query<{ id: string; created: boolean }>(
    `INSERT INTO users (login, display_name, role) VALUES ($1, $2, $3)
     ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name
     RETURNING id, (xmax = 0) AS created`,
    [login, displayName, role],
  );
  return rows[0]!;
}
