/**
 * The three classes of failure that decide everything downstream:
 * - the student's work is wrong → a failed check and a score (StudentWorkError, caught by graders);
 * - the input cannot be graded → `rejected`, no attempt used (RejectedInputError);
 * - the infrastructure failed → retried, then `error`, never a score of 0 (InfrastructureError).
 */

/** Where in the submitted input a problem is, as precisely as we know it. */
export interface InputIssue {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export function formatIssue(issue: InputIssue): string {
  const place = [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':');
  const field = issue.field ? ` (${issue.field})` : '';
  return place ? `${place}: ${issue.message}${field}` : `${issue.message}${field}`;
}

export class RejectedInputError extends Error {
  readonly kind = 'rejected' as const;
  constructor(
    message: string,
    readonly issues: InputIssue[] = [],
    /**
     * 413 when the input is too large, 422 when it is malformed or invalid, 409 when the course's
     * policy refuses it (past the deadline, out of attempts).
     */
    readonly status: 409 | 413 | 422 = 422,
  ) {
    super(message);
    this.name = 'RejectedInputError';
  }
}

export class InfrastructureError extends Error {
  readonly kind = 'infrastructure' as const;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

/** The student's work failed in a way a grader reports as a failed check (e.g. a build error). */
export class StudentWorkError extends Error {
  readonly kind = 'student' as const;
  constructor(
    message: string,
    readonly evidence?: string,
  ) {
    super(message);
    this.name = 'StudentWorkError';
  }
}

export type ClassifiedError = RejectedInputError | InfrastructureError | StudentWorkError;

/**
 * Anything a grader throws that we did not classify is treated as a retryable infrastructure
 * failure: an unknown bug must never turn into a student's zero.
 */
export function classify(error: unknown): ClassifiedError {
  if (
    error instanceof RejectedInputError ||
    error instanceof InfrastructureError ||
    error instanceof StudentWorkError
  ) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new InfrastructureError(message, true, { cause: error });
}
