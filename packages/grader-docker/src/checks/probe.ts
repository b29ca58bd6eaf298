import type { CheckContext } from './types';
import { sleep } from './types';

export interface ProbeTarget {
  service: string;
  /** The container port probed (resolved from a declared host port when the lab names one). */
  containerPort: number;
  /** How the target was found, for evidence. */
  via: string;
}

/**
 * The container port behind a check's `hostPort` (the mapping the student declared, e.g. 8080 of
 * `-p 8080:80`) or its `port` (a container port). Returns a reason when the declared mapping is missing.
 */
export function resolveTarget(ctx: CheckContext, service: string, spec: { port?: number | undefined; hostPort?: number | undefined }): ProbeTarget | string {
  const declared = ctx.sandbox.services.get(service)?.spec;
  if (spec.hostPort !== undefined) {
    const mapping = declared?.ports.find((p) => p.host === spec.hostPort && p.protocol === 'tcp');
    if (!mapping) {
      const have = declared?.ports.map((p) => (p.host ? `${p.host}:${p.container}` : `${p.container}`)).join(', ') || 'none';
      return `nothing is published on host port ${spec.hostPort} (published: ${have})`;
    }
    return { service, containerPort: mapping.container, via: `declared ${spec.hostPort}:${mapping.container}` };
  }
  return { service, containerPort: spec.port ?? declared?.ports[0]?.container ?? 80, via: 'container port' };
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET through a kadai-assigned host port; the body is cut at 64 KiB. */
export async function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { connection: 'close' } });
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > 64 * 1024) {
      await reader.cancel();
      break;
    }
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8') };
}

/**
 * GETs the path until `accept` says yes or the deadline passes (a service needs a moment to start).
 * Returns the last answer or the last connection error.
 */
export async function pollHttp(
  ctx: CheckContext,
  target: ProbeTarget,
  path: string,
  timeoutMs: number,
  accept: (a: HttpAnswer) => boolean,
): Promise<{ answer?: HttpAnswer; error?: string; url: string }> {
  const endpoint = await ctx.sandbox.endpoint(target.service, target.containerPort);
  const url = `http://${endpoint.host}:${endpoint.port}${path.startsWith('/') ? path : `/${path}`}`;
  const deadline = Date.now() + timeoutMs;
  let last: { answer?: HttpAnswer; error?: string; url: string } = { url, error: 'not tried' };
  while (!ctx.signal.aborted) {
    try {
      const answer = await httpGet(url, Math.min(5000, Math.max(500, deadline - Date.now())));
      last = { answer, url };
      if (accept(answer)) return last;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      last = { url, error: cause ?? (error as Error).message };
    }
    if (Date.now() + 500 > deadline) break;
    await sleep(500, ctx.signal);
  }
  return last;
}
