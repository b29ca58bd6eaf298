import express, { type Express, type RequestHandler } from 'express';
import { accessLog } from './access-log';
import { ApiRouter } from './api-router';
import { authenticate } from './auth';
import type { ApiDeps } from './deps';
import { openApiDocument } from './openapi';
import { idempotentWrites } from './idempotency';
import { limitedBody } from './limited-body';
import { pageRoutes } from './pages';
import { HttpProblem, problemHandler } from './problem';
import { courseAdminRoutes } from './routes/course-admin';
import { courseRoutes } from './routes/courses';
import { healthRoutes } from './routes/health';
import { labRoutes } from './routes/labs';
import { ltiAdminRoutes, ltiPublicRoutes } from './routes/lti';
import { submissionRoutes } from './routes/submissions';
import { userRoutes } from './routes/users';
import { webhookRoutes } from './routes/webhooks';

/** The API's routers, and the OpenAPI document made from what their routes declare. */
function apiRouters(deps: ApiDeps) {
  const documentRoute = new ApiRouter();
  documentRoute.get('/openapi.json', { summary: 'This document (OpenAPI 3.1)', auth: false, answers: { 200: { description: 'OpenAPI 3.1', schema: { type: 'object' } } } }, (_req, res) => {
    res.json(document);
  });
  const health = healthRoutes(deps);
  const ltiPublic = ltiPublicRoutes(deps);
  const v1 = [submissionRoutes(deps), labRoutes(deps), courseRoutes(deps), courseAdminRoutes(deps), userRoutes(deps), webhookRoutes(deps), ltiAdminRoutes(deps)];
  const document = openApiDocument([health, documentRoute, ltiPublic, ...v1].flatMap((api) => api.routes));
  return { public: [health, documentRoute], ltiPublic, v1, document };
}

const pass: RequestHandler = (_req, _res, next) => next();

/**
 * The OpenAPI document without a running api (for generating the client's types): building the
 * routers uses only a rate-limit middleware and a cache setting from their dependencies.
 */
export function apiDocument(): object {
  return apiRouters({ rateLimits: { byAddress: () => pass }, lookupCacheMs: 0 } as unknown as ApiDeps).document;
}

/** The HTTP API and the web pages. Unauthenticated: health, metrics, the OpenAPI document and its page, sign-in; everything else needs a token or a sign-in session. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(accessLog(deps.log, deps.metrics));
  // Every API route is declared once (method, path, schemas, answers): express routes and the OpenAPI document both come from these.
  const api = apiRouters(deps);
  if (deps.trustProxy) app.set('trust proxy', deps.trustProxy);
  app.use(...api.public.map((r) => r.router));
  app.use(pageRoutes(deps, api.document));
  app.use(api.ltiPublic.router);
  // Cheap refusals first: the address's and the user's budgets, and the token; only then is a body read.
  app.use('/v1', authenticate(deps.db, { ms: deps.lookupCacheMs, maxTokens: deps.tokenCacheSize }, deps.rateLimits));
  app.use(limitedBody(deps.limits.maxUploadBytes));
  app.use(idempotentWrites(deps.db));
  for (const router of api.v1) app.use(router.router);
  app.use((req, _res, next) => next(new HttpProblem(404, 'Not found', `no route ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.log));
  return app;
}
