import { fail, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { isOutcome, runningService, serviceName, type DockerCheckContext } from './types';

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
export function resolveTarget(ctx: DockerCheckContext, service: string, spec: { port?: number | undefined; hostPort?: number | undefined }): ProbeTarget | string {
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

/**
 * The opening every probe check shares: its service (default: the first) must be running, and the
 * container port behind its `hostPort` (the student's declared mapping) or `port` is the target.
 * Returns the outcome to report instead when the service cannot be probed.
 */
export async function probeTarget(ctx: DockerCheckContext, spec: { service?: string | undefined; port?: number | undefined; hostPort?: number | undefined }): Promise<ProbeTarget | CheckOutcome> {
  const name = serviceName(ctx, spec.service);
  const ready = await runningService(ctx, name);
  if (isOutcome(ready)) return ready;
  const target = resolveTarget(ctx, name, spec);
  if (typeof target !== 'string') return target;
  return fail(`ホストのポート ${spec.hostPort} が公開されていません。`, `Host port ${spec.hostPort} is not published.`, row('published port', false, `${spec.hostPort}:<container port>`, target));
}

export const isTarget = (x: ProbeTarget | CheckOutcome): x is ProbeTarget => 'containerPort' in x;

const ANSWERED_GRACE_MS = 3000;

function describe(code: string, target: ProbeTarget): string {
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'ECONNREFUSED') return `connection closed: nothing answers on ${target.service}:${target.containerPort}`;
  if (code === 'TimeoutError' || /aborted|timeout/i.test(code)) return `no answer within the time limit from ${target.service}:${target.containerPort}`;
  return code;
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

export interface ProbeResult {
  answer?: HttpAnswer;
  error?: string;
  url: string;
  /** The container stopped and will not come back: no use waiting longer. */
  stopped?: true;
}

/**
 * GETs the path until `accept` says yes or the deadline passes (a service needs a moment to start).
 * Returns the last answer or the last connection error. Once the server answers, but otherwise, it
 * gets a few more seconds, not the whole timeout; a container that stopped for good ends the wait.
 */
export async function pollHttp(ctx: DockerCheckContext, target: ProbeTarget, path: string, timeoutMs: number, accept: (a: HttpAnswer) => boolean): Promise<ProbeResult> {
  const endpoint = await ctx.sandbox.endpoint(target.service, target.containerPort);
  const url = `http://${endpoint.host}:${endpoint.port}${path.startsWith('/') ? path : `/${path}`}`;
  const polled = await pollUntil<ProbeResult>({
    timeoutMs,
    signal: ctx.signal,
    async observe(control) {
      try {
        const answer = await httpGet(url, Math.min(5000, Math.max(500, control.remainingMs())));
        if (!accept(answer)) control.shortenTo(ANSWERED_GRACE_MS);
        return { answer, url };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const info = await ctx.sandbox.inspect(target.service);
        if (info && !info.State.Running && !info.State.Restarting && info.HostConfig.RestartPolicy?.Name !== 'always') {
          return { url, error: `the container is not running (${info.State.Status}, exit code ${info.State.ExitCode})`, stopped: true };
        }
        return { url, error: describe(cause ?? (error as Error).message, target) };
      }
    },
    judge: (seen) => (seen.answer && accept(seen.answer) ? 'done' : seen.stopped ? 'stop' : 'again'),
  });
  return polled.last ?? { url, error: 'not tried' };
}
