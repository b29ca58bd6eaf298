import { createLogger, createMetrics } from '@kadai/observability';
import type { Express, RequestHandler } from 'express';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import type { ApiDeps } from './deps';
import { pageRoutes } from './pages';

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };

/** Every route express answers, as "METHOD /path", found by walking the app's routers. */
function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`)
      : layer.handle.stack
        ? routesOf(layer.handle.stack)
        : [],
  );
}

const pass: RequestHandler = (_req, _res, next) => next();
// Building the app touches only these, and /openapi.json needs nothing else.
const deps = {
  rateLimits: { byAddress: () => pass },
  limits: { maxUploadBytes: 1024 },
  lookupCacheMs: 0,
  tokenCacheSize: 10,
  labs: new Map(),
  log: createLogger('openapi-test', 'silent'),
  metrics: createMetrics(),
} as unknown as ApiDeps;

type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters: Array<{ name: string; in: string }>; requestBody?: unknown }>>; components: { schemas: Record<string, unknown> } };

describe('the OpenAPI document', () => {
  const app = createApp(deps) as Express & { router: { stack: Layer[] } };
  let document: Document;
  beforeAll(async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      document = (await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`)).json()) as Document;
    } finally {
      server.close();
    }
  });

  it('documents exactly the routes express answers (the HTML pages aside)', () => {
    const pages = new Set(routesOf((pageRoutes(deps, {}) as unknown as { stack: Layer[] }).stack));
    const served = routesOf(app.router.stack).filter((r) => !pages.has(r));
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });

  it('takes bodies and answers from the zod schemas the routes validate with', () => {
    const create = document.paths['/v1/courses']!.post!;
    expect(create.requestBody).toMatchObject({ content: { 'application/json': { schema: { properties: { id: { pattern: expect.any(String) }, title: { type: 'string' } } } } } });
    expect(create.responses['201']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Course' } } } });
    expect(document.components.schemas.Submission).toMatchObject({ properties: { state: { enum: ['queued', 'running', 'graded', 'error', 'rejected'] } } });
    const extension = document.paths['/v1/assignments/{id}/extensions/{login}']!.put!;
    expect(extension.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'path:login', 'header:Idempotency-Key']);
    expect(Object.keys(extension.responses).sort()).toEqual(['200', '401', '403', '404', '422', '429']);
    expect(document.paths['/healthz']!.get!.responses['401']).toBeUndefined();
  });
});
