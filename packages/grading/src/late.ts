import { z } from 'zod';

/** What happens to a submission after the due date. */
export const latePolicy = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('reject') }),
  z.strictObject({ mode: z.literal('accept') }),
  z.strictObject({
    mode: z.literal('penalty'),
    percentPerDay: z.number().positive().max(100),
    maxDaysLate: z.number().int().positive(),
  }),
]);
export type LatePolicy = z.infer<typeof latePolicy>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The fraction of the score kept (1 = no penalty), or null when the policy refuses the submission. */
export function lateFactor(policy: LatePolicy, dueAt: Date | null, submittedAt: Date): number | null {
  if (!dueAt || submittedAt <= dueAt) return 1;
  switch (policy.mode) {
    case 'accept':
      return 1;
    case 'reject':
      return null;
    case 'penalty': {
      const daysLate = Math.ceil((submittedAt.getTime() - dueAt.getTime()) / DAY_MS);
      if (daysLate > policy.maxDaysLate) return null;
      return Math.max(0, 1 - (daysLate * policy.percentPerDay) / 100);
    }
  }
}
