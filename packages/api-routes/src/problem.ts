import { formatIssue, InfrastructureError, RejectedInputError, type InputIssue } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type { ErrorRequestHandler, Response } from 'express';
import { closeAfterAnswer } from './close-after-answer';

/** What a kadai id looks like; anything else is answered 404 before it reaches Postgres. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An HTTP failure that is not about the submitted work: auth, roles, unknown ids, conflicts. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly issues: InputIssue[] = [],
  ) {
    super(message);
  }
}

/** A request over its budget: 429 with `Retry-After` (whole seconds), as RFC 9110 §10.2.3 wants. */
export class TooManyRequests extends HttpProblem {
  constructor(
    readonly retryAfterSeconds: number,
    what: string,
  ) {
    super(429, 'Too many requests', `${what}; retry after ${retryAfterSeconds} s`);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Unprocessable submission',
  500: 'Internal error',
  503: 'Service unavailable',
};

/** Writes an RFC 9457 problem document; `errors` lists each issue as file:line:col: message. */
export function sendProblem(res: Response, status: number, detail: string, issues: InputIssue[] = [], title = TITLES[status]): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `https://kadai.dev/problems/${status}`,
      title: title ?? 'Error',
      status,
      detail,
      ...(issues.length > 0 ? { errors: issues.map((i) => ({ ...i, text: formatIssue(i) })) } : {}),
    });
}

export function problemHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    closeAfterAnswer(req, res);
    if (error instanceof TooManyRequests) res.set('Retry-After', String(error.retryAfterSeconds));
    if (error instanceof HttpProblem) return sendProblem(res, error.status, error.message, error.issues, error.title);
    if (error instanceof RejectedInputError) return sendProblem(res, error.status, error.message, error.issues);
    if (error instanceof InfrastructureError && error.retryable) {
      // e.g. a lab version published by another api that this one cannot load yet: worth another try
      log.warn({ err: error }, 'retryable failure');
      res.set('Retry-After', '5');
      return sendProblem(res, 503, `${error.message}; try again later`);
    }
    log.error({ err: error }, 'unhandled error');
    sendProblem(res, 500, 'the server failed; the request was not applied');
  };
}
