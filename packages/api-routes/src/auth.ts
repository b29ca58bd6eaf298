import { findPrincipal, type Db, type Principal, type Role } from '@kadai/db';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './problem';
import { LookupCache } from './lookup-cache';
import type { RateLimits } from './rate-limit';
import { assertCsrf, readCookie, SESSION_COOKIE, sessionOf } from './session';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/**
 * Bearer-token authentication, or a sign-in session's cookie when no Authorization header is sent. Valid tokens' principals are cached for `cache.ms` (a revoked token
 * stops working within that time) in a bounded LRU that unknown tokens never enter: a flood of
 * made-up tokens cannot push valid ones out. Each unknown token counts against its client address;
 * once the address has used that budget up, only tokens already known to be valid get through.
 */
export function authenticate(db: Db, cache: { ms: number; maxTokens: number }, limits: RateLimits): RequestHandler {
  const principals = new LookupCache<Principal | undefined>(cache.ms, cache.maxTokens, (principal) => principal !== undefined);
  const lookUp = async (req: Request, token: string): Promise<Principal> => {
    await limits.chargeAddress(req);
    await limits.assertMayTryUnknownToken(req);
    const principal = await principals.get(token, () => findPrincipal(db, token));
    if (principal) return principal;
    await limits.recordUnknownToken(req);
    throw new HttpProblem(401, 'Unauthorized', 'invalid, expired or revoked token');
  };
  // The pages' scripts call the API with the sign-in session's cookie and its CSRF token.
  const bySession = async (req: Request): Promise<Principal> => {
    await limits.chargeAddress(req);
    const session = await sessionOf(db, req);
    if (!session) throw new HttpProblem(401, 'Unauthorized', 'the sign-in session has ended; sign in again');
    assertCsrf(req, session);
    req.webSession = session;
    return session.principal;
  };
  const admit = async (req: Request): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const known = match && principals.peek(match[1]!);
    if (known) {
      // the common case, a token known to be valid: both budgets at once
      await limits.chargeAddressAndUser(req, known);
      req.principal = known;
      return;
    }
    let principal: Principal;
    if (match) principal = await lookUp(req, match[1]!);
    else if (!req.headers.authorization && readCookie(req, SESSION_COOKIE)) principal = await bySession(req);
    else {
      await limits.chargeAddress(req);
      throw new HttpProblem(401, 'Unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    }
    await limits.chargeUser(req, principal);
    req.principal = principal;
  };
  return (req: Request, _res: Response, next: NextFunction) => void admit(req).then(() => next(), next);
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
