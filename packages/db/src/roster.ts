import { enroll, type CourseRole } from './courses';
import { transaction, type Db } from './pool';
import { ensureRosterUser } from './users';

/**
 * Enrols a roster in a course in one transaction: all of it or, on any failure, none. New logins
 * become users; existing ones keep their role (see ensureRosterUser) and get the roster's name.
 */
export async function importRoster(db: Db, courseId: string, rows: Array<{ login: string; displayName: string; role: CourseRole }>): Promise<{ usersCreated: number; enrolled: number }> {
  return transaction(db, async (tx) => {
    let usersCreated = 0;
    for (const row of rows) {
      const user = await ensureRosterUser(tx, row.login, row.displayName, row.role);
      if (user.created) usersCreated += 1;
      await enroll(tx, courseId, user.id, row.role);
    }
    return { usersCreated, enrolled: rows.length };
  });
}
