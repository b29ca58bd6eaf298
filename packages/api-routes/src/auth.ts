import { findPrincipal, type Db, type Principal, type Role } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';
import { TtlCache } from './ttl-cache';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Bearer-token authentication. Principals (and unknown tokens) are cached for `cacheMs` so a burst of
 * submissions costs one token lookup; a revoked token stops working within that time.
 */
export function authenticate(db: Db, cacheMs: number): RequestHandler {
  const principals = new TtlCache<Principal | undefined>(cacheMs);
  return (req: Request, _res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return next(new HttpProblem(401, 'Unauthorized', 'missing bearer token (Authorization: Bearer <token>)'));
    const token = match[1]!;
    principals.get(token, () => findPrincipal(db, token)).then((principal) => {
      if (!principal) return next(new HttpProblem(401, 'Unauthorized', 'invalid, expired or revoked token'));
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
