export { KadaiClient, ApiError } from './client';
export type { SubmissionView, CheckRow, Accepted, Problem, LabsStatus } from './client';
