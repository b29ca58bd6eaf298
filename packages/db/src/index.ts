export { createPool, transaction } from './pool';
export type { Db, Queryable } from './pool';
export { migrate } from './migrate';
export { findPrincipal, storeToken, upsertUser, newToken, issueToken, getTokenInfo, listTokens, revokeToken, rotateToken } from './tokens';
export type { Principal, Role, TokenInfo } from './tokens';
export { currentLab, labsInService, openCatalog, publishedLab, publishedVersions, publishLabs, withdrawLabs } from './labs';
export type { PublishedVersion } from './labs';
export { audit } from './audit';
export { getCourse, createCourse, renameCourse, listCourses, listEnrollments, enroll, unenroll } from './courses';
export type { Course, CourseRole, Enrollment } from './courses';
export { getUserByLogin, createUser, updateUser, listUsers } from './users';
export type { User } from './users';
export { importRoster } from './roster';
export { findStoredResponse, storeResponse } from './idempotency';
export { setExtension, deleteExtension, listExtensions } from './extensions';
export type { Extension } from './extensions';
export { getAssignment, findAssignmentForStudent, upsertAssignment, updateAssignmentSettings, canManageCourse, listAssignments, createAssignment } from './assignments';
export type { Assignment } from './assignments';
export { createSubmission, eraseSecretFiles, getSubmission, loadFiles, PublishedLabChanged, secretFilesOf } from './submissions';
export type { Submission, SubmissionState, NewSubmission, Created } from './submissions';
export { claimRun, renewLease, recordGrade, recordRetry, recordError, recordRejected, startRegrade, findStuck, touch, releasedRuns, overrideScore } from './grading-state';
export type { Claim, RunRef, StuckSubmission } from './grading-state';
export { getCheckResults, courseResults, gradedSubmissionsOf } from './results';
export type { CourseResultRow } from './results';
export { seedDemoCourse } from './seed';
export type { DemoUser } from './seed';
export { ANY, SubmissionChanges, WebhookWakeups } from './notifications';
export { createSession, findSession, deleteSession } from './sessions';
export type { WebSession } from './sessions';
export { coursesOf, studentAssignments, attemptsOf, labAnalytics, auditTrail, assignmentOfCourse, courseRole } from './class-views';
export type { CourseSummary, StudentAssignment, AttemptRow, LabAnalytics, AuditEntry } from './class-views';
export {
  WEBHOOK_EVENTS,
  enqueueSubmissionEvents,
  createWebhookEndpoint,
  listWebhookEndpoints,
  getWebhookEndpoint,
  deleteWebhookEndpoint,
  rotateWebhookSecret,
  setWebhookEndpointDisabled,
  takeDueDeliveries,
  recordDeliveryAttempt,
  listWebhookDeliveries,
  endpointOfDelivery,
  redeliver,
} from './webhooks';
export type { WebhookEvent, WebhookEndpoint, DueDelivery, AttemptOutcome, DeliveryLogEntry } from './webhooks';
export { oldestQueuedAges, removeEndedSecretFiles, removeOldSubmissionFiles } from './operations';
