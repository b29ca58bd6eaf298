import { InfrastructureError } from '@kadai/errors';

/**
 * A sandbox limit that is not in place and cannot be put in place: grading stops (non-retryable,
 * the submission ends as `error`) and the grader reports itself unsafe, rather than run without it.
 */
export class UnsafeSandboxError extends InfrastructureError {
  constructor(problem: string, options?: { cause?: unknown }) {
    super(`sandbox limit not in place: ${problem}`, false, options);
    this.name = 'UnsafeSandboxError';
  }
}
