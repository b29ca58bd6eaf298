import { findPrincipal, type Db, type Principal, type Role } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';
import { LookupCache } from './lookup-cache';
import type { RateLimits } from './rate-limit';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Bearer-token authentication. Valid tokens' principals are cached for `cache.ms` (a revoked token
 * stops working within that time) in a bounded LRU that unknown tokens never enter: a flood of
 * made-up tokens cannot push valid ones out. Each unknown token counts against its client address;
 * once the address has used that budget up, only tokens already known to be valid get through.
 */
export function authenticate(db: Db, cache: { ms: number; maxTokens: number }, limits: RateLimits): RequestHandler {
  const principals = new LookupCache<Principal | undefined>(cache.ms, cache.maxTokens, (principal) => principal !== undefined);
  const lookUp = async (req: Request, token: string): Promise<Principal> => {
    const cached = principals.peek(token);
    if (cached) return cached;
    await limits.assertMayTryUnknownToken(req);
    const principal = await principals.get(token, () => findPrincipal(db, token));
    if (principal) return principal;
    await limits.recordUnknownToken(req);
    throw new HttpProblem(401, 'Unauthorized', 'invalid, expired or revoked token');
  };
  return (req: Request, _res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return next(new HttpProblem(401, 'Unauthorized', 'missing bearer token (Authorization: Bearer <token>)'));
    lookUp(req, match[1]!).then((principal) => {
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
