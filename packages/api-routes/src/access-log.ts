import type { Logger, Metrics } from '@kadai/observability';
import type { RequestHandler } from 'express';

/** Probes and scrapes come every few seconds: logged at debug, not at info, so they do not drown the rest. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One JSON log line and one histogram observation per answered request. The line holds the path
 * without its query string and no header (tokens travel in headers, cookies and sometimes queries);
 * the metric's `route` is the matched route's template, so ids do not multiply the series.
 */
export function accessLog(log: Logger, metrics: Metrics): RequestHandler {
  const http = log.child({ component: 'http' });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req.baseUrl, req.route as { path?: unknown } | undefined);
      // a client that left before the answer was complete: 499, as nginx logs it
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.httpRequestDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      const path = req.originalUrl.split('?')[0];
      const line = { method: req.method, path, route, status, ms: Math.round(seconds * 1000), bytes: Number(res.getHeader('content-length') ?? 0) || undefined, ip: req.ip };
      if (QUIET_PATHS.has(path ?? '')) http.debug(line, 'request');
      else http.info(line, 'request');
    });
    next();
  };
}

/** The template of the route that answered (e.g. /v1/submissions/:id), or `unmatched` (404s, static files). */
function routeTemplate(baseUrl: string, route: { path?: unknown } | undefined): string {
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${baseUrl}${route.path}`;
}
