import { createSession, currentLab } from '@kadai/db';
import { completeLaunch, listPlatforms, LtiLaunchError, platformRegistration, registerPlatform, startLogin, userOfLaunch } from '@kadai/lti';
import { RejectedInputError } from '@kadai/errors';
import { urlencoded, type Request, type Response } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../api-router';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { html } from '../pages/html';
import { pageContext, sendPage } from '../pages/layout';
import { SESSION_TTL_MS, setSessionCookie } from '../session';

const FOREIGN_KEY_VIOLATION = '23503';

/** The URL the platform posts launches to, as this request reached kadai (honours `trust proxy`). */
const launchUrl = (req: Request) => `${req.protocol}://${req.get('host')}/lti/launch`;

/**
 * LTI 1.3: kadai's JWKS, the OIDC login initiation and the launch (unauthenticated: the platform's
 * signature is the authentication), and the platforms' registration (admins, under /v1).
 */
export function ltiPublicRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  const form = urlencoded({ extended: false, limit: '64kb' });

  const jwks = { 200: { description: 'the public keys, current and recently rotated', schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } };
  api.get('/.well-known/jwks.json', { summary: "kadai's LTI signing keys (JWKS)", auth: false, answers: jwks }, async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await deps.lti.keys.jwks());
  });

  const login = async (req: Request, res: Response) => {
    const params = { ...(req.query as Record<string, string>), ...((req.body as Record<string, string>) ?? {}) };
    try {
      res.redirect(302, await startLogin(deps.db, params, launchUrl(req)));
    } catch (error) {
      if (!(error instanceof LtiLaunchError)) throw error;
      refuse(req, res, error.message);
    }
  };
  const initiation = { type: 'object', properties: { iss: { type: 'string' }, login_hint: { type: 'string' }, target_link_uri: { type: 'string' }, lti_message_hint: { type: 'string' }, client_id: { type: 'string' } } };
  const toPlatform = { 302: "to the platform's authorization endpoint", 401: { description: 'refused (a page saying why)', schema: { type: 'string' }, type: 'text/html' } };
  const loginStart = { summary: 'LTI 1.3 OIDC login initiation (from the platform)', auth: false as const, answers: toPlatform };
  api.get('/lti/login', { ...loginStart, parameters: Object.keys(initiation.properties).map((name) => ({ name, in: 'query' as const })) }, login);
  api.post('/lti/login', { ...loginStart, otherBodies: { 'application/x-www-form-urlencoded': initiation }, before: [deps.rateLimits.byAddress(), form] }, login);

  const launch = {
    summary: 'LTI 1.3 launch (form_post of the id_token): signs the student in and opens the lab',
    auth: false as const,
    otherBodies: { 'application/x-www-form-urlencoded': { type: 'object', properties: { id_token: { type: 'string' }, state: { type: 'string' } }, required: ['id_token', 'state'] } },
    answers: { 303: "to the lab's page (instructors: its analytics), with a session cookie", 401: toPlatform[401] },
    before: [deps.rateLimits.byAddress(), form],
  };
  api.post('/lti/launch', launch, async (req, res) => {
    const { id_token: idToken, state } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof idToken !== 'string' || typeof state !== 'string') return refuse(req, res, 'the launch needs id_token and state (form_post)');
    try {
      const launch = await completeLaunch(deps.db, idToken, state);
      if (launch.labId && !(await currentLab(deps.db, deps.labs, launch.labId))) throw new LtiLaunchError(`the launch names lab ${launch.labId}, which kadai does not have`);
      const { userId } = await userOfLaunch(deps.db, launch);
      const session = await createSession(deps.db, userId, 'lti', SESSION_TTL_MS);
      setSessionCookie(req, res, session.id);
      const course = encodeURIComponent(launch.platform.courseId);
      deps.log.info({ platform: launch.platform.issuer, labId: launch.labId, instructor: launch.instructor }, 'LTI launch');
      res.redirect(303, launch.labId && !launch.instructor ? `/courses/${course}/labs/${encodeURIComponent(launch.labId)}` : launch.labId ? `/courses/${course}/labs/${encodeURIComponent(launch.labId)}/analytics` : `/courses/${course}`);
    } catch (error) {
      if (!(error instanceof LtiLaunchError)) throw error;
      deps.log.warn({ reason: error.message }, 'LTI launch refused');
      refuse(req, res, error.message);
    }
  });
  return api;
}

function refuse(req: Request, res: Response, reason: string): void {
  const ctx = pageContext(req, res);
  sendPage(res, ctx, 'LTI', html`<p class="error" role="alert">${reason}</p>`, 401);
}

export function ltiAdminRoutes(deps: ApiDeps): ApiRouter {
  const api = new ApiRouter();
  const platform = z.record(z.string(), z.unknown()).describe('a registered platform');
  api.get('/v1/lti/platforms', { summary: 'Registered LTI platforms (admin)', answers: { 200: { description: 'platforms', schema: z.object({ platforms: z.array(platform) }) } }, problems: [403] }, async (req, res) => {
    requireRole(req, 'admin');
    res.json({ platforms: await listPlatforms(deps.db) });
  });
  const register = { summary: 'Register an LMS platform (issuer, client id, JWKS URL, deployment id) for a course (admin)', body: platformRegistration, bodyName: 'platform registration', answers: { 201: { description: 'registered', schema: platform } }, problems: [403, 422] };
  api.post('/v1/lti/platforms', register, async (req, res, registration) => {
    requireRole(req, 'admin');
    try {
      res.status(201).json(await registerPlatform(deps.db, registration));
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
        throw new RejectedInputError(`no course ${registration.courseId}`, [{ field: 'courseId', message: 'unknown course' }]);
      }
      throw error;
    }
  });
  api.post('/v1/lti/keys/rotate', { summary: "Rotate kadai's LTI signing key (admin); the old one stays published a while", answers: { 201: { description: 'the new key', schema: z.object({ kid: z.string() }) } }, problems: [403] }, async (req, res) => {
    requireRole(req, 'admin');
    const key = await deps.lti.keys.rotate();
    res.status(201).json({ kid: key.kid });
  });
  return api;
}
