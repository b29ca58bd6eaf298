import { findSession, type Db, type WebSession } from '@kadai/db';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { HttpProblem } from './problem';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the request was authenticated by a sign-in session (the pages), not a bearer token. */
    webSession?: WebSession;
  }
}

export const SESSION_COOKIE = 'kadai_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/**
 * HTTP-only (scripts never read it), SameSite=Lax (other sites' forms and scripts do not send it),
 * Secure when the page came over HTTPS.
 */
export function setSessionCookie(req: Request, res: Response, id: string): void {
  res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', maxAge: SESSION_TTL_MS });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
}

export async function sessionOf(db: Db, req: Request): Promise<WebSession | undefined> {
  const id = readCookie(req, SESSION_COOKIE);
  return id ? findSession(db, id) : undefined;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A state-changing request authenticated by the session cookie must carry the session's CSRF token
 * (the `_csrf` form field or the `X-CSRF-Token` header the pages' script sends) and, when the
 * browser names one, come from this origin. Bearer-token requests need neither: no browser adds
 * an Authorization header by itself.
 */
export function assertCsrf(req: Request, session: WebSession): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin && origin !== `${req.protocol}://${req.headers.host}`) throw new HttpProblem(403, 'Forbidden', `a request from ${origin} may not act on this session`);
  const sent = req.header('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined);
  if (!sent || !sameToken(sent, session.csrfToken)) throw new HttpProblem(403, 'Forbidden', 'missing or wrong CSRF token; reload the page and try again');
}
