import type { LabKind } from '@kadai/catalog';
import { z } from 'zod';

/** What travels through Redis: just enough to find the submission in Postgres, the source of truth. */
export const gradingJob = z.strictObject({
  submissionId: z.uuid(),
  run: z.number().int().positive(),
});
export type GradingJob = z.infer<typeof gradingJob>;

/** One queue per lab kind, so a slow cluster never holds up quizzes. */
export function queueName(kind: LabKind): string {
  return `grade-${kind}`;
}

/** The job id is the submission id (and the run, for regrades): BullMQ refuses a second job with it. */
export function jobId(job: GradingJob): string {
  return job.run === 1 ? job.submissionId : `${job.submissionId}-r${job.run}`;
}
