import { randomUUID } from 'node:crypto';
import { CONFIRM_PROXY_USER, STATUS_PATH, type MirrorStatus, type UpstreamFailure } from './mirror';
import { DEFAULT_UPSTREAMS, match, routes } from './routes';

/** How many of a build's failed requests the worker asks again (one per path, at once). */
const ASKED_AGAIN = 3;
const PROBES = routes(DEFAULT_UPSTREAMS);

async function statusOf(base: string, query: Record<string, string>, timeoutMs: number): Promise<MirrorStatus> {
  const res = await fetch(`${base}${STATUS_PATH}?${new URLSearchParams(query)}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`kadai's package mirror answered ${res.status} to its status request`);
  return (await res.json()) as MirrorStatus;
}

/**
 * The worker's own request through the mirror, under a credential of its own (CONFIRM_PROXY_USER),
 * so what the upstream did is read from the mirror's record, not guessed from the answer (a failed
 * index is answered from the last good copy): `trouble` (recorded as a failure, a 5xx, or no answer
 * in time), `answered` (found, or a 404/403/410: the upstream is up), or `served` (2xx).
 */
async function askThroughMirror(base: string, path: string, timeoutMs: number): Promise<'trouble' | 'answered' | 'served'> {
  const id = randomUUID();
  const credential = Buffer.from(`${CONFIRM_PROXY_USER}:${id}`).toString('base64');
  let status: number;
  try {
    const res = await fetch(`${base}${path}`, { method: 'HEAD', headers: { 'proxy-authorization': `Basic ${credential}` }, signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    if ((await statusOf(base, { since: '0', confirm: id }, timeoutMs)).failures.length > 0) return 'trouble';
  } catch {
    return 'trouble';
  }
  if (status >= 500 || status === 429) return 'trouble';
  return status < 300 ? 'served' : 'answered';
}

/**
 * Whether the upstream failures a build met are kadai's. A failure without an HTTP status (the
 * upstream did not answer in time, the connection was refused or broke) is kadai's as recorded: the
 * build got no answer to judge. An answered failure (5xx, 429) is confirmed by the worker's own
 * requests through the mirror first: a build's own request can fail on its own — a misspelt name
 * the upstream answers with an error — and that must stay the build's failure, not become kadai's
 * error retried until it is `error`. So: the upstream's probe (a path it answers while it is up,
 * routes.ts) fails for the worker too → the upstream is down (kadai's); a path the build asked for
 * is served now → it failed for a while (kadai's: a retry passes). The upstream up and the build's
 * requests answered with an error again or not found → the build's. Returns why it is kadai's, or undefined.
 */
async function confirmedOutage(base: string, failures: UpstreamFailure[], timeoutMs: number): Promise<string | undefined> {
  // No HTTP status at all (a timeout, a refused or reset connection, a download broken off): the
  // upstream gave the build no answer, so there is nothing of the build's to judge — the path between
  // kadai and the upstream failed it. Kadai's at once, whatever a probe says now; a retry asks again.
  // (a request answered from the mirror's last good copy did get an answer: confirmed below like an error answer)
  const unanswered = failures.find((f) => f.status === undefined && !f.servedStale);
  if (unanswered) return `the upstream gave no answer to ${unanswered.path ?? unanswered.url} (${unanswered.error ?? 'no status'})`;
  // a mirror that does not say what was asked (older code) cannot be asked again: kadai's, as it always was
  if (failures.some((f) => !f.path)) return 'the mirror did not say which requests failed';
  const paths = [...new Set(failures.map((f) => f.path!))];
  const probes = [...new Set(paths.map((p) => match(PROBES, p.split('?')[0]!)).map((found) => (found ? `${found.route.prefix}${found.route.probe}` : undefined)))];
  const probed = await Promise.all(probes.map(async (probe) => ({ probe, answer: probe ? await askThroughMirror(base, probe, timeoutMs) : 'trouble' })));
  const down = probed.find((p) => p.answer === 'trouble');
  if (down) return `the upstream fails the worker's own request too (${down.probe ?? 'no probe for this path'})`;
  const again = await Promise.all(paths.slice(0, ASKED_AGAIN).map(async (path) => ({ path, answer: await askThroughMirror(base, path, timeoutMs) })));
  const recovered = again.find((a) => a.answer === 'served');
  if (recovered) return `${recovered.path} failed during the build and is served now (a passing outage)`;
  return undefined;
}

/**
 * Whether kadai's package mirror let a build down between `since` and now: it could not be reached,
 * it restarted (a build in flight lost its connections), or it failed to fetch from upstream for
 * `build` (its proxy credential, mirror.ts BUILD_PROXY_USER) — with no answer from the upstream, or
 * with an error answer the worker's own requests confirm as an outage (confirmedOutage); another
 * build's upstream failures are not this one's.
 * Returns why, or undefined when the mirror served everything asked of it or the failures were the
 * build's own requests. Decided from the mirror's own record and the worker's requests, never from
 * the build's output. `confirmTimeoutMs` bounds each of the worker's requests through the mirror.
 */
export async function mirrorTrouble(mirrorUrl: string, since: number, build?: string, timeoutMs = 5000, confirmTimeoutMs = 20_000): Promise<string | undefined> {
  const base = mirrorUrl.replace(/\/+$/, '');
  let status: MirrorStatus;
  try {
    status = await statusOf(base, { since: String(since), ...(build ? { build } : {}) }, timeoutMs);
  } catch (error) {
    const message = (error as Error).message;
    return message.startsWith("kadai's package mirror answered") ? message : `kadai's package mirror at ${mirrorUrl} is unreachable: ${message}`;
  }
  if (status.startedAt > since) return `kadai's package mirror restarted during the build`;
  const first = status.failures[0];
  if (!first) return undefined;
  const outage = await confirmedOutage(base, status.failures, confirmTimeoutMs);
  if (!outage) return undefined;
  const what = first.status ? `answered ${first.status}` : `failed (${first.error ?? 'no answer'})`;
  return `kadai's package mirror could not fetch from upstream during the build: ${first.url} ${what}${status.failures.length > 1 ? ` (+${status.failures.length - 1} more)` : ''}; ${outage}`;
}
