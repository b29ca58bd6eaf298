import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DEFAULT_UPSTREAMS, match, routes, type Route, type Upstreams } from './routes';

/** One time the mirror could not get something from upstream (kadai's failure, not a build's). */
export interface UpstreamFailure {
  at: number;
  url: string;
  /** The upstream's HTTP status when it answered (5xx, 429), absent when it could not be reached. */
  status?: number;
  error?: string;
  /** What was asked of the mirror (path and query): the worker asks it again to confirm an outage (client.ts). */
  path?: string;
  /** The build whose request it was (its proxy credential, BUILD_PROXY_USER), absent when the request named none. Never reported. */
  build?: string;
  /** The worker's own confirming request it was (CONFIRM_PROXY_USER): counted for no build. Never reported. */
  confirm?: string;
  /** The mirror answered it from its last good copy of the index (the build got an answer). */
  servedStale?: boolean;
}

/** What `GET /_kadai/status` answers: the grader asks it after a failed build. */
export interface MirrorStatus {
  startedAt: number;
  failures: UpstreamFailure[];
}

export interface MirrorOptions {
  cacheDir: string;
  upstreams?: Partial<Upstreams>;
  /** An index page: time for the whole request. A file: the longest the upstream may send nothing (time the client takes to read is not counted). */
  upstreamTimeoutMs?: number;
  /** Failures kept in memory (the newest). */
  keepFailures?: number;
  /** Files larger than this are passed through but not cached. */
  maxCachedFileBytes?: number;
}

export const STATUS_PATH = '/_kadai/status';

/**
 * The user name of the proxy credential a build is given (`http_proxy=http://kadai:<build>@mirror`):
 * package tools then send every request to the mirror with `Proxy-Authorization: Basic
 * kadai:<build>`, so an upstream failure is recorded against the build that asked.
 */
export const BUILD_PROXY_USER = 'kadai';

/**
 * The user name of the worker's own requests through the mirror (`kadai-worker:<id>`): before
 * blaming an upstream for a failed build the worker asks again itself (client.ts), and what it meets
 * is recorded under its id, for no build.
 */
export const CONFIRM_PROXY_USER = 'kadai-worker';

/** Who a request came from: the user and password of its `Basic` proxy credential, when they are kadai's. */
function requesterOf(req: IncomingMessage): { build?: string; confirm?: string } {
  const m = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(String(req.headers['proxy-authorization'] ?? '').trim());
  const [user, name] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
  if (!name || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) return {};
  return user === BUILD_PROXY_USER ? { build: name } : user === CONFIRM_PROXY_USER ? { confirm: name } : {};
}

/** A 5xx or 429 is upstream trouble; 404/403/410 is an answer (the package or version does not exist). */
const isUpstreamTrouble = (status: number) => status >= 500 || status === 429;

export interface PackageMirror {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Failures since `since` (never the worker's own); with `build`, only those of that build; with `confirm`, only those of that confirming request. */
  status(since?: number, build?: string, confirm?: string): MirrorStatus;
}

export function createPackageMirror(options: MirrorOptions): PackageMirror {
  const table = routes({ ...DEFAULT_UPSTREAMS, ...options.upstreams });
  const timeoutMs = options.upstreamTimeoutMs ?? 12_000;
  const keep = options.keepFailures ?? 1000;
  const maxCached = options.maxCachedFileBytes ?? 512 * 1024 * 1024;
  const startedAt = Date.now();
  const failures: UpstreamFailure[] = [];

  const record = (req: IncomingMessage, failure: UpstreamFailure) => {
    const { pathname, search } = new URL(req.url ?? '/', 'http://mirror');
    failures.push({ ...failure, path: `${pathname}${search}`, ...requesterOf(req) });
    if (failures.length > keep) failures.splice(0, failures.length - keep);
  };

  const filePath = (route: Route, path: string) => join(options.cacheDir, 'files', route.prefix, path);
  // Indexes are kept only as a fallback for when upstream fails; their names may clash with directories.
  const indexPath = (key: string) => join(options.cacheDir, 'index', createHash('sha256').update(key).digest('hex'));

  async function serveIndex(route: Route, path: string, search: string, req: IncomingMessage, res: ServerResponse) {
    const url = `${route.upstream}${path}${search}`;
    const accept = String(req.headers.accept ?? '*/*');
    const stale = indexPath(`${route.prefix}${path}${search}\n${accept}`);
    let upstream: Response | undefined;
    let failure: UpstreamFailure | undefined;
    // the limit is on the upstream's silence, not on the whole answer: a large index on a slow link still arrives
    const silence = new UpstreamSilence(timeoutMs);
    try {
      upstream = await fetch(url, { headers: { accept }, signal: silence.signal });
      if (upstream.ok) {
        const type = upstream.headers.get('content-type') ?? 'application/octet-stream';
        const raw = await bodyHeard(upstream, silence);
        // only the text indexes that link elsewhere are rewritten; the rest passes byte for byte (the
        // Go checksum database's tiles are binary: decoded as text they broke `go mod` verification)
        const body = route.rewrite ? Buffer.from(route.rewrite(raw.toString('utf8'), `http://${req.headers.host ?? 'localhost'}`)) : raw;
        await mkdir(dirname(stale), { recursive: true });
        await writeFile(`${stale}.tmp${process.pid}`, JSON.stringify({ type, base64: body.toString('base64') }));
        await rename(`${stale}.tmp${process.pid}`, stale);
        return send(res, 200, type, body);
      }
      if (!isUpstreamTrouble(upstream.status)) return send(res, upstream.status, 'text/plain', `${upstream.status} from ${url}\n`);
      failure = { at: Date.now(), url, status: upstream.status };
    } catch (error) {
      failure = { at: Date.now(), url, error: whyNoAnswer(error) };
    } finally {
      silence.end();
    }
    // Upstream failed: the last good copy keeps builds going. The failure is recorded all the same
    // (an old copy may lack what the build asked for), marked as answered from it: the build got an
    // answer, so the worker confirms it as an outage before it is kadai's (client.ts).
    const kept = await readFile(stale, 'utf8').catch(() => undefined);
    record(req, { ...failure, ...(kept ? { servedStale: true } : {}) });
    if (kept) {
      // `body`: a copy kept as text by an earlier version of the mirror
      const { type, base64, body } = JSON.parse(kept) as { type: string; base64?: string; body?: string };
      return send(res, 200, type, base64 === undefined ? (body ?? '') : Buffer.from(base64, 'base64'));
    }
    return send(res, 502, 'text/plain', `kadai's package mirror could not reach ${url}\n`);
  }

  async function serveFile(route: Route, path: string, req: IncomingMessage, res: ServerResponse) {
    const file = filePath(route, path);
    const cached = await stat(file).catch(() => undefined);
    if (cached?.isFile()) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': cached.size });
      if (req.method === 'HEAD') return res.end();
      return void (await pipeline(createReadStream(file), res).catch(() => undefined));
    }
    const url = `${route.upstream}${path}`;
    // The limit is on the upstream's silence, not on the whole download: a client that reads slowly
    // (a step throttling its own download) holds the body back, and that wait must never be
    // recorded as the upstream's failure — it would turn the step's own failed build into kadai's.
    const silence = new UpstreamSilence(timeoutMs);
    let upstream: Response;
    try {
      upstream = await fetch(url, { signal: silence.signal });
    } catch (error) {
      silence.end();
      record(req, { at: Date.now(), url, error: whyNoAnswer(error) });
      return send(res, 502, 'text/plain', `kadai's package mirror could not reach ${url}\n`);
    }
    if (!upstream.ok || !upstream.body) {
      silence.end();
      if (isUpstreamTrouble(upstream.status)) record(req, { at: Date.now(), url, status: upstream.status });
      return send(res, upstream.ok ? 502 : upstream.status, 'text/plain', `${upstream.status} from ${url}\n`);
    }
    const length = Number(upstream.headers.get('content-length') ?? NaN);
    res.writeHead(200, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream', ...(Number.isFinite(length) ? { 'content-length': length } : {}) });
    const body = Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>);
    if (req.method === 'HEAD') {
      silence.end();
      body.destroy();
      return res.end();
    }
    const cache = !(length > maxCached);
    const tmp = `${file}.tmp${process.pid}.${Math.random().toString(36).slice(2)}`;
    if (cache) await mkdir(dirname(file), { recursive: true });
    const sink = cache ? createWriteStream(tmp) : undefined;
    try {
      silence.heard();
      for await (const chunk of body) {
        sink?.write(chunk);
        if (!res.write(chunk)) {
          silence.pause();
          await new Promise((resolve) => res.once('drain', resolve));
        }
        silence.heard();
      }
      silence.end();
      // in the cache before the client has the last byte: its next request is served from disk
      if (sink) {
        await new Promise((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve(undefined))));
        await rename(tmp, file);
      }
      res.end();
    } catch (error) {
      silence.end();
      // the upstream broke off mid-file (the client's own hang-up also lands here: then nothing is recorded)
      if (!res.destroyed) record(req, { at: Date.now(), url, error: `body: ${whyNoAnswer(error)}` });
      sink?.destroy();
      await rm(tmp, { force: true });
      res.destroy();
    }
  }

  function status(since = 0, build?: string, confirm?: string): MirrorStatus {
    // A named build sees its own failures only. A request naming no build comes from a step that
    // dropped the proxy credential every build is given (kadai's package tools all send it): counting
    // those for every build would let one step turn all builds failing meanwhile into kadai's error.
    // The worker's own confirming requests count for no build.
    const counts = (f: UpstreamFailure) => f.at >= since && (confirm ? f.confirm === confirm : !f.confirm && (!build || f.build === build));
    return { startedAt, failures: failures.filter(counts).map(({ build: _whose, confirm: _asked, ...f }) => f) };
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const { pathname, search, searchParams } = new URL(req.url ?? '/', 'http://mirror');
    if (pathname === STATUS_PATH) {
      // for the worker on the mirror's own machine only: on the build bridge a step could read which
      // packages other builds failed to fetch
      if (!isLoopback(req.socket.localAddress)) return send(res, 404, 'text/plain', 'not served here\n');
      const [build, confirm] = [searchParams.get('build') ?? undefined, searchParams.get('confirm') ?? undefined];
      return send(res, 200, 'application/json', JSON.stringify(status(Number(searchParams.get('since') ?? 0), build, confirm)));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET and HEAD\n');
    const found = match(table, pathname);
    if (!found) return send(res, 404, 'text/plain', `kadai's package mirror serves only /pypi, /npm, /goproxy, /debian and /debian-security\n`);
    const served = found.route.immutable(found.path) ? serveFile(found.route, found.path, req, res) : serveIndex(found.route, found.path, search, req, res);
    served.catch((error: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `kadai's package mirror: ${error.message}\n`);
      else res.destroy();
    });
  }

  return { handle, status };
}

function send(res: ServerResponse, code: number, type: string, body: string | Buffer) {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Why a fetch got no answer: undici's "fetch failed" says nothing without its cause (ECONNREFUSED, "other side closed", …). */
function whyNoAnswer(error: unknown): string {
  const { message, cause } = error as Error & { cause?: { code?: string; message?: string } };
  return cause ? `${message} (${[cause.code, cause.message].filter(Boolean).join(': ')})` : message;
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

/**
 * Aborts an upstream fetch after `limitMs` without a byte from the upstream, not counting the time
 * the mirror itself waits for its client to take what it already has (`pause` … `heard`).
 */
/** An answer's body, read while the upstream keeps talking (each chunk restarts the silence limit). */
async function bodyHeard(res: Response, silence: UpstreamSilence): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    silence.heard();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

class UpstreamSilence {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  readonly signal = this.controller.signal;

  constructor(private readonly limitMs: number) {
    this.heard();
  }

  heard(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error(`no answer from upstream for ${this.limitMs} ms`)), this.limitMs);
  }

  pause(): void {
    clearTimeout(this.timer);
  }

  end(): void {
    clearTimeout(this.timer);
  }
}
