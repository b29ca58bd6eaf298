import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { DEFAULT_MANIFEST_LIMITS, formatPath, isInternalAddress, parseManifestFiles, type FieldPath } from '@kadai/k8s-vetting';
import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import { isIP } from 'node:net';

/**
 * E11 / final assignment ④: a read-only look at the student's own cluster (issue 10). The student
 * hands in what a ServiceAccount of theirs needs to read it — the API server's URL, its CA and a
 * token — never a command: a kubeconfig whose user runs an `exec` or `auth-provider` plugin (EKS's
 * `aws eks get-token`) would run the student's program on kadai's worker, so it is refused before
 * anything runs. The address must be public (never the grading cluster, the node or a private
 * network), is resolved once and connected to as resolved (no second lookup to rebind), and the
 * token must not be able to write cluster-wide. The runner erases the file after the grading run.
 */
export interface LiveCredentials {
  server: URL;
  ca: Buffer;
  token: string;
}

/** The endpoint kadai connects to, as resolved and vetted. */
export interface LiveEndpoint {
  address: string;
  port: number;
  /** The server's host name, for TLS (none when the URL names an address). */
  servername?: string;
}

const MAX_TOKEN_BYTES = 8192;
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** Four requests at most (three access reviews, the node list): within the step's 30 s even when each takes its whole time. */
const REQUEST_TIMEOUT_MS = 5_000;

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a credentials file: either `{server, certificateAuthorityData, token}` or a kubeconfig
 * (`kind: Config`) whose current context's user has a `token`. Every problem is refused with
 * file, line and field, before anything runs.
 */
export function readLiveCredentials(file: string, data: Buffer): LiveCredentials {
  const parsed = parseManifestFiles(new Map([[file, data]]), DEFAULT_MANIFEST_LIMITS);
  const issues: InputIssue[] = [...parsed.issues];
  const source = parsed.objects[0];
  const refuse = (path: FieldPath, message: string): undefined => {
    issues.push({ file, ...(source?.locator.locate(path) ?? {}), field: formatPath(path), message });
    return undefined;
  };
  let found: { server?: unknown; ca?: unknown; token?: unknown; at: { server: FieldPath; ca: FieldPath; token: FieldPath } } | undefined;
  if (!issues.length && source) {
    const doc = source.object;
    if (parsed.objects.length > 1) refuse([], 'hand in one document: the server, its CA and a token');
    found = doc.kind === 'Config' ? fromKubeconfig(doc, refuse) : { server: doc.server, ca: doc.certificateAuthorityData, token: doc.token, at: { server: ['server'], ca: ['certificateAuthorityData'], token: ['token'] } };
  } else if (!issues.length) issues.push({ file, message: 'the file is empty: hand in server, certificateAuthorityData and token' });
  let credentials: LiveCredentials | undefined;
  if (found && !issues.length) {
    const server = serverUrl(found.server, (m) => refuse(found!.at.server, m));
    const ca = typeof found.ca === 'string' ? Buffer.from(found.ca, 'base64') : undefined;
    if (!ca || !ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) refuse(found.at.ca, "the API server's CA certificate, base64-encoded PEM (a kubeconfig's certificate-authority-data), is needed");
    const token = found.token;
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token) || token.length > MAX_TOKEN_BYTES) refuse(found.at.token, "a ServiceAccount token is needed (one line, what `kubectl create token` prints)");
    if (server && ca && typeof token === 'string' && !issues.length) credentials = { server, ca, token };
  }
  if (!credentials) {
    const first = issues[0] ?? { file, message: 'unreadable' };
    throw new RejectedInputError(`the live cluster's credentials cannot be used: ${formatIssue(first)}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues.length ? issues : [first]);
  }
  return credentials;
}

/** The current context's cluster and user of a kubeconfig; a user that runs a plugin is refused. */
function fromKubeconfig(doc: Fields, refuse: (path: FieldPath, message: string) => undefined) {
  const list = (key: string) => (Array.isArray(doc[key]) ? (doc[key] as unknown[]) : []);
  const named = (key: string, name: unknown) => list(key).findIndex((e) => isRecord(e) && e.name === name);
  list('users').forEach((entry, i) => {
    const user = isRecord(entry) && isRecord(entry.user) ? entry.user : {};
    for (const plugin of ['exec', 'auth-provider']) {
      if (user[plugin] !== undefined) refuse(['users', i, 'user', plugin], `a kubeconfig user with ${plugin} would run a program on kadai's worker: hand in a ServiceAccount token instead`);
    }
  });
  const contextIndex = named('contexts', doc['current-context']);
  const context = contextIndex >= 0 ? (list('contexts')[contextIndex] as Fields).context : undefined;
  if (!isRecord(context)) return refuse(['current-context'], 'current-context must name one of the contexts');
  const clusterIndex = named('clusters', context.cluster);
  const userIndex = named('users', context.user);
  if (clusterIndex < 0) return refuse(['contexts', contextIndex, 'context', 'cluster'], 'no cluster of that name');
  if (userIndex < 0) return refuse(['contexts', contextIndex, 'context', 'user'], 'no user of that name');
  const cluster = (list('clusters')[clusterIndex] as Fields).cluster;
  const user = (list('users')[userIndex] as Fields).user;
  const c = isRecord(cluster) ? cluster : {};
  const u = isRecord(user) ? user : {};
  if (c['insecure-skip-tls-verify'] === true) refuse(['clusters', clusterIndex, 'cluster', 'insecure-skip-tls-verify'], "kadai verifies the API server's certificate: give its certificate-authority-data");
  const at = { server: ['clusters', clusterIndex, 'cluster', 'server'], ca: ['clusters', clusterIndex, 'cluster', 'certificate-authority-data'], token: ['users', userIndex, 'user', 'token'] };
  return { server: c.server, ca: c['certificate-authority-data'], token: u.token, at };
}

function serverUrl(value: unknown, refuse: (message: string) => undefined): URL | undefined {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return refuse('the API server URL, https://…, is needed');
  }
  if (url.protocol !== 'https:') return refuse('the API server is reached over https only');
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return refuse('give the API server URL alone (https://host[:port])');
  return url;
}

/** An address an operator lets stand in for a student's cluster though it is not public (`address:port`: the tests' local cluster). */
export interface LiveClusterSettings {
  allowedPrivate: readonly string[];
}

/**
 * Resolves the server's host once: every address it has must be public, unless the operator
 * allowed that `address:port`. Returns the endpoint to connect to, or why not (the student's).
 */
export async function resolveEndpoint(server: URL, settings: LiveClusterSettings): Promise<LiveEndpoint | { refused: string }> {
  const host = server.hostname.replace(/^\[|\]$/g, '');
  const port = Number(server.port || 443);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    return { refused: `${host} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const internal = addresses.filter((a) => isInternalAddress(a) && !settings.allowedPrivate.includes(`${a}:${port}`));
  if (internal.length || !addresses.length) return { refused: `${host} is not a public address (${internal.join(', ') || 'no address'}): kadai reads only clusters reachable on the internet` };
  return { address: addresses[0] as string, port, ...(isIP(host) ? {} : { servername: host }) };
}

/** One request to the student's API server as their token, connected to the vetted address. */
export function liveRequest(credentials: LiveCredentials, endpoint: LiveEndpoint, method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host: endpoint.address,
        port: endpoint.port,
        ...(endpoint.servername ? { servername: endpoint.servername } : {}),
        method,
        path,
        ca: credentials.ca,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
        signal,
        headers: { Authorization: `Bearer ${credentials.token}`, Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
