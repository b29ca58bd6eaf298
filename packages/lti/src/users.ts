import { transaction, type Db } from '@kadai/db';
import { createHash } from 'node:crypto';
import type { Launch } from './launch';

/**
 * The kadai user of a launch: one per platform and platform user id (login `lti-<hash>`), enrolled in
 * the platform's course as student or instructor; the launch's line item is remembered for the lab.
 */
export async function userOfLaunch(db: Db, launch: Launch): Promise<{ userId: string; role: 'student' | 'instructor' }> {
  const login = `lti-${createHash('sha256').update(`${launch.platform.id}\n${launch.userId}`).digest('hex').slice(0, 20)}`;
  const role = launch.instructor ? 'instructor' : 'student';
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO users (login, display_name, role) VALUES ($1, $2, $3)
       ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name RETURNING id`,
      [login, launch.name.slice(0, 200), role],
    );
    const userId = rows[0]!.id;
    await tx.query(
      `INSERT INTO enrollments (course_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [launch.platform.courseId, userId, role],
    );
    if (launch.lineitem && launch.labId && role === 'student') {
      await tx.query(
        `INSERT INTO lti_grade_links (platform_id, user_id, lab_id, lti_user_id, lineitem) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (platform_id, user_id, lab_id) DO UPDATE SET lineitem = EXCLUDED.lineitem, lti_user_id = EXCLUDED.lti_user_id, updated_at = now()`,
        [launch.platform.id, userId, launch.labId, launch.userId, launch.lineitem],
      );
    }
    return { userId, role };
  });
}
