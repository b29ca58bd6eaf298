import { createSession, deleteSession, findPrincipal } from '@kadai/db';
import { Router, urlencoded, type RequestHandler } from 'express';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { assertCsrf, clearSessionCookie, readCookie, SESSION_COOKIE, SESSION_TTL_MS, sessionOf, setSessionCookie } from '../session';
import { html } from './html';
import { pageContext, sendPage, type PageContext } from './layout';

/** Only a path of this site: a sign-in never sends anyone elsewhere. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

function signInPage(ctx: PageContext, next: string, failed: boolean) {
  const { t } = ctx;
  return html`
<p>${t('signInHelp')}</p>
${failed ? html`<p class="error" role="alert">${t('signInFailed')}</p>` : ''}
<form method="post" action="/sign-in">
<input type="hidden" name="next" value="${next}">
<label for="token">${t('signInToken')}</label>
<input id="token" name="token" type="password" autocomplete="current-password" required ${failed ? html`aria-invalid="true"` : ''}>
<button type="submit">${t('signIn')}</button>
</form>`;
}

/**
 * Signing in with an API token: the token is sent once, over the form, and exchanged for a session
 * cookie; the browser never keeps the token. Wrong tokens count against the address's budget for
 * unknown tokens, as on the API.
 */
export function signInRoutes(deps: ApiDeps): Router {
  const router = Router();
  const form = urlencoded({ extended: false, limit: '8kb' });

  router.get('/sign-in', (req, res) => {
    const ctx = pageContext(req, res);
    sendPage(res, ctx, ctx.t('signIn'), signInPage(ctx, safeNext(req.query.next), false));
  });

  router.post('/sign-in', deps.rateLimits.byAddress(), form, async (req, res) => {
    const ctx = pageContext(req, res);
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const next = safeNext(req.body?.next);
    await deps.rateLimits.assertMayTryUnknownToken(req);
    const principal = token ? await findPrincipal(deps.db, token) : undefined;
    if (!principal || principal.role === 'lms') {
      await deps.rateLimits.recordUnknownToken(req);
      sendPage(res, ctx, ctx.t('signIn'), signInPage(ctx, next, true), 401);
      return;
    }
    const session = await createSession(deps.db, principal.userId, 'token', SESSION_TTL_MS);
    setSessionCookie(req, res, session.id);
    res.redirect(303, next);
  });

  router.post('/sign-out', form, async (req, res) => {
    const session = await sessionOf(deps.db, req);
    if (session) {
      assertCsrf(req, session);
      await deleteSession(deps.db, readCookie(req, SESSION_COOKIE)!);
    }
    clearSessionCookie(req, res);
    res.redirect(303, '/sign-in');
  });

  return router;
}

/** Pages behind sign-in: a request without a live session is sent to the sign-in page and back. */
export function requireSession(deps: ApiDeps): RequestHandler {
  return async (req, res, next) => {
    const session = await sessionOf(deps.db, req);
    if (!session) {
      if (req.method !== 'GET') throw new HttpProblem(401, 'Unauthorized', 'the sign-in session has ended; sign in again');
      res.redirect(303, `/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    req.principal = session.principal;
    req.webSession = session;
    next();
  };
}
