import { InfrastructureError } from '@kadai/errors';

/**
 * A sandbox limit that is not in place and cannot be put in place: grading stops (the submission
 * ends as `error`; retried first when the limit is one another program can take away and kadai puts
 * back — the host isolation rules) and the grader reports itself unsafe, rather than run without it.
 */
export class UnsafeSandboxError extends InfrastructureError {
  constructor(problem: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(`sandbox limit not in place: ${problem}`, options?.retryable ?? false, options);
    this.name = 'UnsafeSandboxError';
  }
}
