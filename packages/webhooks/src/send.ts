import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connectLookup, portOf, refusedAddress, type UrlPolicy } from './url-policy';

/** What one POST to a receiver came to. */
export interface SendResult {
  /** The receiver's status, or null when no answer came (refused, unreachable, timed out). */
  status: number | null;
  /** Retry-After (seconds or an HTTP date) as milliseconds from now, when the receiver sent one. */
  retryAfterMs?: number;
  error: string | null;
  durationMs: number;
}

/** Retry-After as RFC 9110 §10.2.3 allows it: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The body kept of a receiver's answer for the log: it is for people reading the log, not more. */
const MAX_ANSWER_BYTES = 2048;

/**
 * POSTs one signed message. Every address connected to is checked against the policy as the
 * connection is made; redirects are not followed (a receiver's 3xx is an answer like any other,
 * and following one could lead past the policy). The whole exchange has `timeoutMs`.
 */
export function sendMessage(url: string, headers: Record<string, string>, body: string, policy: UrlPolicy, timeoutMs: number): Promise<SendResult> {
  const started = Date.now();
  const target = new URL(url);
  const port = portOf(target);
  const done = (status: number | null, error: string | null, retryAfterMs?: number): SendResult => ({
    status,
    error,
    durationMs: Date.now() - started,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  // an address in the URL is connected to without a lookup, so it is checked here
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  const refused = isIP(literal) ? refusedAddress(literal, port, policy) : undefined;
  if (refused) return Promise.resolve(done(null, `refused: ${refused}`));
  return new Promise((resolve) => {
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'kadai-webhooks/1' },
        lookup: connectLookup(policy, port),
        agent: false,
      },
      (res: IncomingMessage) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (answer.length < MAX_ANSWER_BYTES) answer += chunk;
        });
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          resolve(done(status, ok ? null : `HTTP ${status}${answer ? `: ${answer.slice(0, MAX_ANSWER_BYTES)}` : ''}`, parseRetryAfter(res.headers['retry-after'], Date.now())));
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          resolve(done(null, error.message));
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(done(null, error.code === 'EWEBHOOKREFUSED' ? error.message : `${error.code ?? 'error'}: ${error.message}`));
    });
    req.end(body);
  });
}
