import { localized, visibility } from '@kadai/catalog';
import { z } from 'zod';

/** The JSON form of a submission: a files map (path → UTF-8 text), or quiz answers. */
export const jsonSubmission = z
  .strictObject({
    lab: z.string().min(1).describe('lab id, e.g. quiz-ch01'),
    files: z.record(z.string(), z.string()).optional().describe('path → UTF-8 file content'),
    answers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional().describe('quiz: question id → choice ids'),
  })
  .refine((b) => (b.files === undefined) !== (b.answers === undefined), { message: 'give exactly one of "files" or "answers"' });

export const submissionState = z.enum(['queued', 'running', 'graded', 'error', 'rejected']);

export const checkRow = z.object({
  checkId: z.string(),
  title: localized,
  released: z.boolean().describe('false while the check is hidden from the student (hidden, or after_due before the due date)'),
  visibility,
  status: z.enum(['pass', 'fail', 'error', 'skipped']).optional(),
  points: z.number().optional(),
  maxPoints: z.number().optional(),
  message: localized.optional(),
  evidence: z.string().optional(),
});

export const submissionView = z.object({
  id: z.uuid(),
  lab: z.string(),
  labKind: z.enum(['quiz', 'docker', 'kubernetes']),
  state: submissionState,
  attempt: z.number().int().nullable(),
  gradingRun: z.number().int().describe('the latest grading run (a regrade is a new one)'),
  gradedRun: z.number().int().nullable().describe('the run whose score and checks count and are shown; a regrade replaces it only when it records a grade'),
  score: z.number().nullable(),
  maxScore: z.number().nullable(),
  lateFactor: z.number(),
  labVersion: z.string(),
  gradedLabVersion: z.string().nullable(),
  error: z
    .string()
    .nullable()
    .describe("why the latest run was rejected, or failed (state error): for a student, kadai's own failure only in their words (the notice), the detail for instructors"),
  notice: localized.nullable().describe('for the student: a run that ended in error (no attempt used), or a regrade that kept the previous grade'),
  rejection: z.array(z.object({ file: z.string().optional(), line: z.number().optional(), column: z.number().optional(), field: z.string().optional(), message: z.string() })).nullable(),
  submittedAt: z.string(),
  finishedAt: z.string().nullable(),
  checks: z.array(checkRow),
});
export type SubmissionView = z.infer<typeof submissionView>;

export const acceptedSubmission = z.object({
  id: z.uuid(),
  state: submissionState,
  attempt: z.number().int().nullable(),
  location: z.string(),
});

export const labSummary = z.object({
  id: z.string(),
  kind: z.enum(['quiz', 'docker', 'kubernetes']),
  chapter: z.number(),
  title: localized,
  version: z.string(),
  maxPoints: z.number(),
  timeLimitSeconds: z.number(),
});

export const courseResultRow = z.object({
  login: z.string(),
  displayName: z.string(),
  assignmentId: z.uuid(),
  labId: z.string(),
  scoring: z.enum(['best', 'last']),
  submissionId: z.uuid().nullable(),
  attempts: z.number().int(),
  score: z.number().nullable(),
  maxScore: z.number().nullable(),
  state: z.string().nullable(),
  late: z.boolean(),
  submittedAt: z.string().nullable(),
});

export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z
    .array(z.object({ file: z.string().optional(), line: z.number().optional(), column: z.number().optional(), field: z.string().optional(), message: z.string(), text: z.string() }))
    .optional(),
});

/** An instructor's manual score, with the reason kept in the audit log. */
export const scoreOverride = z.strictObject({ score: z.number().nonnegative(), reason: z.string().min(1).max(2000) });

export const webhookEvent = z.enum(['submission.graded', 'submission.error', 'submission.regraded']);

export const webhookEndpointCreate = z.strictObject({
  url: z.string().min(1).max(2000).describe('http(s) URL receiving POSTs signed as Standard Webhooks'),
  events: z.array(webhookEvent).min(1).default(['submission.graded', 'submission.error', 'submission.regraded']),
});

export const webhookEndpoint = z.object({
  id: z.uuid(),
  courseId: z.string(),
  url: z.string(),
  events: z.array(webhookEvent),
  disabledAt: z.string().nullable().describe('set when the receiver answered 410 Gone or someone disabled it; nothing is sent meanwhile'),
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
});

export const webhookSecret = z.object({
  secret: z.string().describe('whsec_…: give it to the receiver; kadai shows it only now'),
  previousSecretValidUntil: z.string().nullable().describe('after a rotation: until when the previous secret still signs too'),
});

export const webhookDelivery = z.object({
  id: z.uuid(),
  messageId: z.string().describe('the webhook-id header: the same for every attempt and redelivery of the message'),
  eventType: webhookEvent,
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  payload: z.unknown(),
  history: z.array(z.object({ attempt: z.number().int(), at: z.string(), status: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number().int() })),
});
