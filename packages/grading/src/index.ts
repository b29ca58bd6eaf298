export { capEvidence, totalScore, EVIDENCE_LIMIT_BYTES } from './result';
export type { CheckResult, CheckStatus, Score } from './result';
export type { Grader, GradingContext, GradingRun, HousekeepingContext, SubmissionInput } from './grader';
export { latePolicy, lateFactor } from './late';
export type { LatePolicy } from './late';
export { attemptTimes, stepTimer, CLEANUP_RESERVE_MS, type AttemptTimes } from './time';
