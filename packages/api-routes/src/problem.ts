import { formatIssue, RejectedInputError, type InputIssue } from '@kadai/errors';
import type { Logger } from '@kadai/observability';
import type { ErrorRequestHandler, Response } from 'express';

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

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Unprocessable submission',
  500: 'Internal error',
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
  return (error, _req, res, _next) => {
    if (error instanceof HttpProblem) return sendProblem(res, error.status, error.message, error.issues, error.title);
    if (error instanceof RejectedInputError) return sendProblem(res, error.status, error.message, error.issues);
    // body-parser's own errors: malformed JSON, a body over the limit
    if (error?.type === 'entity.too.large') return sendProblem(res, 413, `request body is larger than ${error.limit} bytes`);
    if (error?.type === 'entity.parse.failed') return sendProblem(res, 400, `malformed JSON body: ${error.message}`);
    log.error({ err: error }, 'unhandled error');
    sendProblem(res, 500, 'the server failed; the request was not applied');
  };
}
