import { InfrastructureError } from '@kadai/errors';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function statusOf(error: unknown): number | undefined {
  const s = (error as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export const isNotFound = (error: unknown) => statusOf(error) === 404;

/** The engine being down, unreachable or failing (5xx) is kadai's problem: retry later, never a zero. */
export function engineFailure(what: string, error: unknown): InfrastructureError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  const retryable = code === undefined || CONNECTION_CODES.has(code) || (statusOf(error) ?? 500) >= 500;
  return new InfrastructureError(`docker engine: ${what}: ${reason}`, retryable, { cause: error });
}

/** Runs an engine call, turning any failure into an InfrastructureError. */
export async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw engineFailure(what, error);
  }
}
