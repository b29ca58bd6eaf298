import type { Lab } from '@kadai/catalog';
import { upsertAssignment } from './assignments';
import { storeToken, upsertUser, type Role } from './tokens';
import { transaction, type Db } from './pool';

export interface DemoUser {
  login: string;
  displayName: string;
  role: Role;
  token: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The demo course: its users (with the tokens given), enrolled, and one assignment per lab, open now
 * and due in 30 days with a 10 %/day late penalty for a week. Idempotent.
 */
export async function seedDemoCourse(db: Db, labs: Iterable<Lab>, users: DemoUser[], now = new Date()): Promise<void> {
  await transaction(db, async (tx) => {
    await tx.query(`INSERT INTO courses (id, title) VALUES ('demo', 'kadai demo course') ON CONFLICT DO NOTHING`);
    for (const user of users) {
      const id = await upsertUser(tx, user.login, user.displayName, user.role);
      await storeToken(tx, id, user.token, 'demo');
      if (user.role === 'student' || user.role === 'instructor') {
        await tx.query(
          `INSERT INTO enrollments (course_id, user_id, role) VALUES ('demo', $1, $2) ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
          [id, user.role],
        );
      }
    }
    for (const lab of labs) {
      await upsertAssignment(tx, {
        courseId: 'demo',
        labId: lab.definition.id,
        opensAt: new Date(now.getTime() - DAY_MS),
        dueAt: new Date(now.getTime() + 30 * DAY_MS),
        latePolicy: { mode: 'penalty', percentPerDay: 10, maxDaysLate: 7 },
        maxAttempts: null,
        scoring: 'best',
      });
    }
  });
}
