import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** One dependency readiness waits on: resolves when it answers, throws (with the reason) when not. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

export interface Readiness {
  ready: boolean;
  /** Per dependency: `ok` or `down: <reason>`. */
  checks: Record<string, string>;
}

/** A dependency that does not answer within this time is down: a probe must not hang on a dead socket. */
const CHECK_TIMEOUT_MS = 5_000;

/** Runs every check at once; ready only when all answer. */
export async function readiness(checks: ReadinessChecks): Promise<Readiness> {
  const names = Object.keys(checks);
  const settled = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!(), name)));
  const results = Object.fromEntries(settled.map((s, i) => [names[i]!, s.status === 'fulfilled' ? 'ok' : `down: ${(s.reason as Error)?.message ?? String(s.reason)}`]));
  return { ready: Object.values(results).every((r) => r === 'ok'), checks: results };
}

function withTimeout<T>(work: Promise<T>, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface ProbeServerOptions {
  host: string;
  port: number;
  registry: Registry;
  checks: ReadinessChecks;
  /** Extra fields of the /readyz body (e.g. the docker sandbox's status). */
  details?: () => Record<string, unknown>;
}

/**
 * A process's operator endpoints for a process without an HTTP API (the worker): `/healthz` (the
 * process answers), `/readyz` (its dependencies answer; 503 otherwise) and `/metrics` (Prometheus).
 */
export function serveProbes(options: ProbeServerOptions): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = async () => {
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      } else if (path === '/readyz') {
        const { ready, checks } = await readiness(options.checks);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ready ? 'ready' : 'not ready', ...checks, ...options.details?.() }));
      } else if (path === '/metrics' || path === '/') {
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(await options.registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /healthz, /readyz, /metrics\n');
      }
    };
    reply().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  }).listen(options.port, options.host);
}
