import { ApiException } from '@kubernetes/client-node';
import { InfrastructureError } from '@kadai/errors';

/** The HTTP status of a failed API call, or undefined when no answer came (network, TLS, timeout). */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The API server's own message (a Status object's `message`), else the error's text. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown };
      if (typeof status?.message === 'string') return status.message;
    } catch {
      // not JSON: fall through to the raw text
    }
    return `HTTP ${err.code}: ${String(body).slice(0, 500)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

/** A failure of kadai's own calls (setup, cleanup): retryable unless the API refused on principle. */
export function infrastructureError(what: string, err: unknown): InfrastructureError {
  const status = statusOf(err);
  const retryable = status === undefined || status === 409 || status === 429 || status >= 500;
  return new InfrastructureError(`${what}: ${messageOf(err)}`, retryable, { cause: err });
}
