import { findPrincipal, type Db, type Principal, type Role } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Bearer-token authentication. Principals are cached for `cacheMs` so a burst of submissions costs
 * one token lookup; a revoked token stops working within that time.
 */
export function authenticate(db: Db, cacheMs: number): RequestHandler {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return next(new HttpProblem(401, 'Unauthorized', 'missing bearer token (Authorization: Bearer <token>)'));
    const token = match[1]!;
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) {
      req.principal = hit.principal;
      return next();
    }
    findPrincipal(db, token).then((principal) => {
      if (!principal) return next(new HttpProblem(401, 'Unauthorized', 'invalid, expired or revoked token'));
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { principal, until: Date.now() + cacheMs });
      req.principal = principal;
      next();
    }, next);
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new HttpProblem(401, 'Unauthorized', 'not authenticated');
  return req.principal;
}

export function requireRole(req: Request, ...roles: Role[]): Principal {
  const principal = principalOf(req);
  if (!roles.includes(principal.role)) {
    throw new HttpProblem(403, 'Forbidden', `this needs the role ${roles.join(' or ')}; you are ${principal.role}`);
  }
  return principal;
}
