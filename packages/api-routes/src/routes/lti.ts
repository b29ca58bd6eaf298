import { createSession } from '@kadai/db';
import { completeLaunch, listPlatforms, LtiLaunchError, platformRegistration, registerPlatform, startLogin, userOfLaunch } from '@kadai/lti';
import { RejectedInputError } from '@kadai/errors';
import { Router, urlencoded, type Request } from 'express';
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
export function ltiPublicRoutes(deps: ApiDeps): Router {
  const router = Router();
  const form = urlencoded({ extended: false, limit: '64kb' });

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(await deps.lti.keys.jwks());
  });

  const login = async (req: Request, res: Parameters<Parameters<Router['get']>[1]>[1]) => {
    const params = { ...(req.query as Record<string, string>), ...((req.body as Record<string, string>) ?? {}) };
    try {
      res.redirect(302, await startLogin(deps.db, params, launchUrl(req)));
    } catch (error) {
      if (!(error instanceof LtiLaunchError)) throw error;
      refuse(req, res, error.message);
    }
  };
  router.get('/lti/login', login);
  router.post('/lti/login', deps.rateLimits.byAddress(), form, login);

  router.post('/lti/launch', deps.rateLimits.byAddress(), form, async (req, res) => {
    const { id_token: idToken, state } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof idToken !== 'string' || typeof state !== 'string') return refuse(req, res, 'the launch needs id_token and state (form_post)');
    try {
      const launch = await completeLaunch(deps.db, idToken, state);
      if (launch.labId && !deps.labs.has(launch.labId)) throw new LtiLaunchError(`the launch names lab ${launch.labId}, which kadai does not have`);
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
  return router;
}

function refuse(req: Request, res: Parameters<Parameters<Router['get']>[1]>[1], reason: string): void {
  const ctx = pageContext(req, res);
  sendPage(res, ctx, 'LTI', html`<p class="error" role="alert">${reason}</p>`, 401);
}

export function ltiAdminRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/lti/platforms', async (req, res) => {
    requireRole(req, 'admin');
    res.json({ platforms: await listPlatforms(deps.db) });
  });
  router.post('/v1/lti/platforms', async (req, res) => {
    requireRole(req, 'admin');
    const parsed = platformRegistration.safeParse(req.body);
    if (!parsed.success) {
      throw new RejectedInputError('not a platform registration', parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    }
    try {
      res.status(201).json(await registerPlatform(deps.db, parsed.data));
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
        throw new RejectedInputError(`no course ${parsed.data.courseId}`, [{ field: 'courseId', message: 'unknown course' }]);
      }
      throw error;
    }
  });
  router.post('/v1/lti/keys/rotate', async (req, res) => {
    requireRole(req, 'admin');
    const key = await deps.lti.keys.rotate();
    res.status(201).json({ kid: key.kid });
  });
  return router;
}
