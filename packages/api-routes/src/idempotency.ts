import { findStoredResponse, storeResponse, type Db } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `Idempotency-Key` on administrative writes (an LMS retrying a roster import or an enrolment after
 * a lost answer): a successful answer is kept per user and key, and the same key again gets that
 * answer (with `Idempotent-Replayed: true`) without the change being made twice. The same key on
 * another request is refused (422). Submissions keep their own, stronger handling (createSubmission).
 */
export function idempotentWrites(db: Db): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.header('idempotency-key')?.slice(0, 200);
    if (!key || !WRITES.has(req.method) || !req.principal || req.path === '/v1/submissions') return next();
    const userId = req.principal.userId;
    const replayOrRecord = async () => {
      const stored = await findStoredResponse(db, userId, key);
      if (stored) {
        if (stored.method !== req.method || stored.path !== req.path) {
          throw new HttpProblem(422, 'Idempotency-Key reused', `this Idempotency-Key was used for ${stored.method} ${stored.path}; use a new key for another request`);
        }
        res.status(stored.status).set('Idempotent-Replayed', 'true');
        if (stored.body === null) res.end();
        else res.json(stored.body);
        return;
      }
      const send = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode >= 300) return send(body);
        storeResponse(db, userId, key, { method: req.method, path: req.path, status: res.statusCode, body }).then(
          () => send(body),
          (error: unknown) => next(error),
        );
        return res;
      };
      next();
    };
    replayOrRecord().catch(next);
  };
}
