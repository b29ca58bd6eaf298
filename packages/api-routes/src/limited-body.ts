import { RejectedInputError } from '@kadai/errors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';

/**
 * Reads an `application/json` body (parsed) or a `text/csv` one (a roster, as text) of at most
 * `limit` bytes into `req.body`. Unlike body-parser,
 * which reads a too-large body to its very end before answering 413 (to keep the connection
 * alive), it stops at the limit; the answer then closes the connection (`closeAfterAnswer`), so a
 * client cannot make the api read an endless body.
 */
export function limitedBody(limit: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const kind = req.is(['application/json', 'text/csv']);
    if (!kind) return next();
    const tooLarge = () => new RejectedInputError(`the ${kind === 'text/csv' ? 'CSV' : 'JSON'} body is larger than ${limit} bytes`, [], 413);
    if (Number(req.headers['content-length']) > limit) return next(tooLarge());
    if ((req.headers['content-encoding'] ?? 'identity') !== 'identity') {
      return next(new HttpProblem(415, 'Unsupported media type', `Content-Encoding ${req.headers['content-encoding']} is not accepted; send the body as it is`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: unknown) => {
      req.off('data', onData).off('end', onEnd).off('error', finish);
      req.pause();
      next(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (kind === 'text/csv') {
        req.body = text;
        return finish();
      }
      try {
        req.body = text.trim() === '' ? {} : JSON.parse(text);
      } catch (error) {
        return finish(new HttpProblem(400, 'Bad request', `malformed JSON body: ${(error as Error).message}`));
      }
      finish();
    };
    req.on('data', onData).on('end', onEnd).on('error', finish);
  };
}
