import { InfrastructureError } from '@kadai/errors';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function statusOf(error: unknown): number | undefined {
  const s = (error as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export const isNotFound = (error: unknown) => statusOf(error) === 404;

/**
 * Whether trying again can fix an engine answer. 5xx: the engine failing (but 501, a feature it
 * lacks, stays lacking). 404: something kadai made (a container, a network) vanished under it — the
 * reaper, an engine restart —, and a new try makes it afresh. 409: a conflict that clears up (a name
 * still held by a removal in progress, a container between states). 408/429: slow or busy. Every
 * other 4xx — 400 for a request kadai built wrong, 401/403 from an authorization plugin or a
 * registry refusing kadai — comes back the same on every try: an operator must look.
 */
function retryableStatus(status: number): boolean {
  if (status >= 500) return status !== 501;
  return status === 404 || status === 408 || status === 409 || status === 429;
}

/**
 * The engine down, unreachable or answering an error that is not the student's: kadai's problem,
 * never a zero. Retryable when trying again can fix it (see retryableStatus); a failure we know
 * nothing about is retried, as everywhere in kadai.
 */
export function engineFailure(what: string, error: unknown): InfrastructureError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const status = statusOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  const retryable = status !== undefined ? retryableStatus(status) : code === undefined || CONNECTION_CODES.has(code);
  return new InfrastructureError(`docker engine: ${what}: ${reason}`, retryable, { cause: error });
}

/** dockerode's "(HTTP code 400) unexpected - <daemon message>" → the daemon's message. */
export function engineMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^\(HTTP code \d+\)\s+[\w ]+-\s*/, '').trim();
}

/**
 * The daemon's message when its 4xx answer to creating or starting a container is the student's
 * doing, else undefined (then it is kadai's: `engineFailure`). Creating: 400, a configuration the
 * engine refuses (an invalid image reference), or 404 for an image that is not on the engine (kadai
 * pulls nothing); a 404 for anything else is a network kadai made that vanished. Starting: 400, a
 * command the runtime cannot execute (the daemon answers "executable file not found" and the like
 * with 400); a 404 there is the container itself gone, never the student's.
 */
export function studentCause(call: 'create' | 'start', error: unknown): string | undefined {
  const status = statusOf(error);
  const theirs = status === 400 || (call === 'create' && status === 404 && /no such image/i.test(engineMessage(error)));
  return theirs ? engineMessage(error) : undefined;
}

/** Runs an engine call, turning any failure into an InfrastructureError. */
export async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw engineFailure(what, error);
  }
}
