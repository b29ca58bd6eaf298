import { localized, visibility } from '@kadai/catalog';
import { latePolicy } from '@kadai/grading';
import { z } from 'zod';
import { login } from './roster';

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

export const labReload = z.object({
  labs: z.array(
    z.object({
      id: z.string(),
      change: z
        .enum(['added', 'updated', 'unchanged', 'restored', 'withdrawn', 'refused'])
        .describe('against the version published before. restored: a withdrawn lab whose folder is back; withdrawn: its folder is gone (no new submissions, what was handed in is still graded); refused: it fails validation (see errors) and the version published before stays'),
      version: z.string().nullable().describe('the version now published'),
      previousVersion: z.string().nullable(),
    }),
  ),
});

/** One problem of an input, with where it is and the whole as file:line:col: message. */
const issue = z.object({ file: z.string().optional(), line: z.number().optional(), column: z.number().optional(), field: z.string().optional(), message: z.string(), text: z.string() });

export const labFolders = z.object({
  labs: z.array(
    z.object({
      id: z.string(),
      version: z.string().nullable().describe('the version published (every api and worker grades with it); null: never published'),
      folderVersion: z.string().nullable().describe('the version in the labs folder now; null: refused (see errors) or no folder'),
      withdrawnAt: z.string().nullable().describe('when a reload withdrew it; null: in service or never published'),
      onReload: z.enum(['none', 'add', 'update', 'restore', 'withdraw', 'refuse']).describe('what the next reload does to it'),
    }),
  ),
  errors: z.array(issue).describe('the problems of the refused lab folders, each file relative to the labs folder'),
});

export const labSummary = z.object({
  id: z.string(),
  kind: z.enum(['quiz', 'docker', 'kubernetes']),
  chapter: z.number(),
  title: localized,
  version: z.string(),
  maxPoints: z.number(),
  timeLimitSeconds: z.number(),
  unavailable: z.string().optional().describe("set when no worker can grade the lab here (e.g. a capability the grading cluster lacks): why; it takes no submissions until one can"),
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
  errors: z.array(issue).optional(),
});

/** Why a regrade was asked for, kept in the audit log. */
export const regradeRequest = z.object({ reason: z.string().max(2000).default('') });

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

const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text)).describe('an ISO 8601 date-time with offset, e.g. 2026-12-24T23:59:00+09:00');
const role = z.enum(['student', 'instructor', 'admin', 'lms']);
const courseRole = z.enum(['student', 'instructor']);

export const courseCreate = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a course id is lowercase letters, digits and hyphens (up to 63)'),
  title: z.string().trim().min(1).max(200),
});
export const coursePatch = z.strictObject({ title: z.string().trim().min(1).max(200) });
export const course = z.object({ id: z.string(), title: z.string(), createdAt: z.string(), myRole: courseRole.nullable().optional() });

export const enrollmentPut = z.strictObject({ role: courseRole.default('student') });
export const enrollment = z.object({ userId: z.uuid(), login: z.string(), displayName: z.string(), role: courseRole });

export const userCreate = z.strictObject({ login, displayName: z.string().trim().min(1).max(200), role: role.default('student') });
export const userPatch = z.strictObject({ displayName: z.string().trim().min(1).max(200).optional(), role: role.optional() });
export const user = z.object({ id: z.uuid(), login: z.string(), displayName: z.string(), role, createdAt: z.string() });

export const tokenCreate = z.strictObject({
  label: z.string().trim().max(200).default(''),
  expiresAt: instant.nullable().default(null).describe('when the token stops working (none: until revoked)'),
});
export const tokenInfo = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  login: z.string(),
  label: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export const issuedToken = tokenInfo.extend({ token: z.string().describe('the bearer token: shown only now, kadai keeps its hash') });

const assignmentSettings = {
  opensAt: instant.nullable(),
  dueAt: instant.nullable(),
  latePolicy,
  maxAttempts: z.number().int().positive().nullable(),
  scoring: z.enum(['best', 'last']),
  visibility: visibility.nullable().describe("overrides the lab's visibility of every check when set"),
  checkVisibility: z.record(z.string(), visibility).describe("per check id of the lab: overrides both `visibility` and the lab's own for that check ({} : none)"),
};
export const assignmentCreate = z.strictObject({
  labId: z.string().min(1),
  opensAt: assignmentSettings.opensAt.default(null),
  dueAt: assignmentSettings.dueAt.default(null),
  latePolicy: latePolicy.default({ mode: 'reject' }),
  maxAttempts: assignmentSettings.maxAttempts.default(null),
  scoring: assignmentSettings.scoring.default('best'),
  visibility: assignmentSettings.visibility.default(null),
  checkVisibility: assignmentSettings.checkVisibility.default({}),
});
export const assignmentPatch = z.strictObject(assignmentSettings).partial();
export const assignment = z.object({
  id: z.uuid(),
  courseId: z.string(),
  labId: z.string(),
  opensAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  latePolicy: z.unknown(),
  maxAttempts: z.number().int().nullable(),
  scoring: z.enum(['best', 'last']),
  visibility: visibility.nullable(),
  checkVisibility: z.record(z.string(), visibility),
});

export const extensionPut = z
  .strictObject({
    dueAt: instant.nullable().default(null).describe("the student's own due date (none: the assignment's)"),
    extraAttempts: z.number().int().min(0).max(1000).default(0).describe('attempts beyond the assignment limit'),
    reason: z.string().max(2000).default(''),
  })
  .refine((e) => e.dueAt !== null || e.extraAttempts > 0, { message: 'an extension gives a due date, extra attempts or both' });
export const extension = z.object({ assignmentId: z.uuid(), userId: z.uuid(), login: z.string(), dueAt: z.string().nullable(), extraAttempts: z.number().int(), reason: z.string() });

export const rosterImport = z.object({ course: z.string(), usersCreated: z.number().int(), enrolled: z.number().int() });
