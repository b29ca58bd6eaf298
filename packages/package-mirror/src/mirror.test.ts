import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_PROXY_USER, createPackageMirror, mirrorTrouble } from './index';

/** Big enough to fill the sockets' buffers, so a client that does not read holds the mirror back. */
const BIG_FILE = Buffer.alloc(16 << 20, 7);

/** A Go checksum database hash tile: binary, every byte value (not valid UTF-8). */
const TILE = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

/** A stand-in upstream (unit test: the real indexes are exercised by test/docker/builds.test.ts). */
function fakeUpstream(): Promise<{ server: Server; base: string; hits: string[]; failWith: { status?: number } }> {
  const hits: string[] = [];
  const failWith: { status?: number } = {};
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (failWith.status) return res.writeHead(failWith.status).end('down');
    if (req.url === '/simple/flask/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<a href="${base}/files/packages/aa/flask-3.0.3-py3-none-any.whl#sha256=00">flask-3.0.3</a>`);
    }
    if (req.url === '/files/packages/aa/flask-3.0.3-py3-none-any.whl') return res.writeHead(200).end('wheel-bytes');
    if (req.url === '/files/packages/cc/big.whl') return res.writeHead(200, { 'content-length': BIG_FILE.length }).end(BIG_FILE);
    if (req.url === '/go/sumdb/sum.golang.org/tile/8/0/001') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(TILE);
    // a name the index fails on by itself while it is up (what a misspelt or odd package name can meet)
    if (req.url === '/simple/kadai-broken-name/') return res.writeHead(500).end('internal error');
    // no HTTP status at all: an upstream that never answers one path, or drops the connection
    if (req.url === '/simple/kadai-silent-name/') return;
    if (req.url === '/simple/kadai-dropped-name/') return req.socket.destroy();
    // answers once, then never again (the mirror keeps its first answer as the last good copy)
    if (req.url === '/simple/kadai-once-name/') return hits.filter((h) => h === req.url).length === 1 ? res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="x">once</a>') : undefined;
    res.writeHead(404).end('no');
  });
  let base = '';
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ server, base, hits, failWith });
    }),
  );
}

describe('package mirror', () => {
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let mirrorServer: Server;
  let mirror: string;
  let cacheDir: string;
  // what a package tool behind http_proxy=http://kadai:<build>@mirror sends
  const asBuild = (build: string) => ({ 'proxy-authorization': `Basic ${Buffer.from(`${BUILD_PROXY_USER}:${build}`).toString('base64')}` });

  beforeEach(async () => {
    upstream = await fakeUpstream();
    cacheDir = await mkdtemp(join(tmpdir(), 'kadai-mirror-'));
    const m = createPackageMirror({ cacheDir, upstreams: { pypi: `${upstream.base}/simple`, pypiFiles: `${upstream.base}/files`, goproxy: `${upstream.base}/go` }, upstreamTimeoutMs: 2000 });
    mirrorServer = createServer((req, res) => m.handle(req, res));
    await new Promise<void>((resolve) => mirrorServer.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(mirrorServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    mirrorServer.close();
    upstream.server.closeAllConnections();
    upstream.server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('rewrites index links to itself and caches files', async () => {
    const since = Date.now();
    const page = await (await fetch(`${mirror}/pypi/simple/flask/`)).text();
    expect(page).toContain(`${mirror}/pypi/files/packages/aa/flask-3.0.3-py3-none-any.whl`);
    expect(page).not.toContain(upstream.base);
    for (let i = 0; i < 2; i++) expect(await (await fetch(`${mirror}/pypi/files/packages/aa/flask-3.0.3-py3-none-any.whl`)).text()).toBe('wheel-bytes');
    expect(upstream.hits.filter((h) => h.endsWith('.whl'))).toHaveLength(1);
    expect(await mirrorTrouble(mirror, since)).toBeUndefined();
  });

  it("passes a binary index byte for byte, fresh and as the last good copy (the Go checksum database's tiles)", async () => {
    const tile = `${mirror}/goproxy/sumdb/sum.golang.org/tile/8/0/001`;
    expect(Buffer.from(await (await fetch(tile)).arrayBuffer())).toEqual(TILE);
    upstream.failWith.status = 503;
    expect(Buffer.from(await (await fetch(tile)).arrayBuffer())).toEqual(TILE);
  });

  it('serves nothing outside its routes', async () => {
    for (const path of ['/v2/_catalog', '/latest/meta-data/', '/pypi/files/../../etc/passwd', '/pypi/simple/%2e%2e/x']) {
      expect((await fetch(`${mirror}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${mirror}/pypi/simple/flask/`, { method: 'POST' })).status).toBe(405);
    expect(upstream.hits).toHaveLength(0);
  });

  it('passes a missing package through as 404, not as upstream trouble', async () => {
    const since = Date.now();
    expect((await fetch(`${mirror}/pypi/simple/no-such-package/`)).status).toBe(404);
    expect(await mirrorTrouble(mirror, since)).toBeUndefined();
  });

  it('records upstream failures, serves the last good index meanwhile, and the client reports them', async () => {
    await fetch(`${mirror}/pypi/simple/flask/`);
    const since = Date.now();
    upstream.failWith.status = 503;
    const stale = await fetch(`${mirror}/pypi/simple/flask/`);
    expect(stale.status).toBe(200);
    expect(await stale.text()).toContain('flask-3.0.3');
    expect((await fetch(`${mirror}/pypi/files/packages/bb/other.whl`)).status).toBe(503);
    expect(await mirrorTrouble(mirror, since)).toMatch(/could not fetch from upstream.*503 \(\+1 more\)/);
    expect(await mirrorTrouble(mirror, Date.now() + 1000)).toBeUndefined();
  });

  it("records an upstream failure against the build whose proxy credential asked: another build's verdict does not see it", async () => {
    const since = Date.now();
    upstream.failWith.status = 503;
    // what a package tool behind http_proxy=http://kadai:<build>@mirror sends
    expect((await fetch(`${mirror}/pypi/simple/flask/`, { headers: asBuild('build-a') })).status).toBe(502);
    // the index answers the worker's own probe with 503 too: down, kadai's
    expect(await mirrorTrouble(mirror, since, 'build-a')).toMatch(/could not fetch from upstream.*503.*fails the worker's own request too \(\/pypi\/simple\/six\/\)/);
    expect(await mirrorTrouble(mirror, since, 'build-b')).toBeUndefined();
    // the record never names builds: a step that reads the status cannot borrow another's name
    expect(JSON.stringify(await (await fetch(`${mirror}/_kadai/status?since=${since}`)).json())).not.toContain('build-a');
    // a request that names no build (a step that dropped its credential) counts for no named build
    expect((await fetch(`${mirror}/pypi/simple/redis/`)).status).toBe(502);
    expect(await mirrorTrouble(mirror, since, 'build-b')).toBeUndefined();
    expect(await mirrorTrouble(mirror, since)).toMatch(/\(\+1 more\)/); // unnamed: every failure (flask's and redis's)
  });

  it("a build's own request failing while the upstream is up is the build's failure: the worker's requests confirm no outage", async () => {
    const since = Date.now();
    expect((await fetch(`${mirror}/pypi/simple/kadai-broken-name/`, { headers: asBuild('build-c') })).status).toBe(502);
    // recorded for the build, as before …
    expect((await (await fetch(`${mirror}/_kadai/status?since=${since}&build=build-c`)).json()) as { failures: unknown[] }).toMatchObject({ failures: [{ status: 500, path: '/pypi/simple/kadai-broken-name/' }] });
    // … but the index answers the worker's probe, and the same request fails again: not kadai's
    expect(await mirrorTrouble(mirror, since, 'build-c')).toBeUndefined();
    expect(upstream.hits.filter((h) => h === '/simple/six/')).toHaveLength(1);
    expect(upstream.hits.filter((h) => h === '/simple/kadai-broken-name/')).toHaveLength(2);
    // the worker's own requests are no build's failures
    expect((await (await fetch(`${mirror}/_kadai/status?since=${since}`)).json()) as { failures: unknown[] }).toMatchObject({ failures: [{ path: '/pypi/simple/kadai-broken-name/' }] });
  });

  it("no HTTP status from the upstream (a timeout, a dropped connection) while its probe answers is kadai's, without asking again", async () => {
    const since = Date.now();
    expect((await fetch(`${mirror}/pypi/simple/kadai-silent-name/`, { headers: asBuild('build-e') })).status).toBe(502);
    expect((await fetch(`${mirror}/pypi/simple/kadai-dropped-name/`, { headers: asBuild('build-f') })).status).toBe(502);
    expect(await mirrorTrouble(mirror, since, 'build-e')).toMatch(/could not fetch from upstream.*kadai-silent-name\/ failed \(no answer from upstream for 2000 ms\); the upstream gave no answer to \/pypi\/simple\/kadai-silent-name\//);
    expect(await mirrorTrouble(mirror, since, 'build-f')).toMatch(/could not fetch from upstream.*kadai-dropped-name\/ failed \(fetch failed \(.*\)\); the upstream gave no answer/);
    // the record decides: neither the probe nor the build's paths were asked again (each path once, by its build)
    expect(upstream.hits.filter((h) => h === '/simple/six/')).toHaveLength(0);
    expect(upstream.hits.filter((h) => /kadai-(silent|dropped)-name/.test(h))).toHaveLength(2);
  });

  it("a silent upstream answered from the last good copy is not kadai's at once: the build got an answer, so it is confirmed like an error answer", async () => {
    expect((await fetch(`${mirror}/pypi/simple/kadai-once-name/`)).status).toBe(200);
    const since = Date.now();
    const stale = await fetch(`${mirror}/pypi/simple/kadai-once-name/`, { headers: asBuild('build-s') });
    expect([stale.status, await stale.text()]).toEqual([200, '<a href="x">once</a>']);
    expect((await (await fetch(`${mirror}/_kadai/status?since=${since}&build=build-s`)).json()) as { failures: unknown[] }).toMatchObject({ failures: [{ servedStale: true, path: '/pypi/simple/kadai-once-name/' }] });
    // the index answers the worker's probe and the path stays silent: the build's own (it was answered)
    expect(await mirrorTrouble(mirror, since, 'build-s')).toBeUndefined();
    expect(upstream.hits.filter((h) => h === '/simple/six/').length).toBeGreaterThan(0);
  });

  it('an upstream that failed during the build and serves the same request now was a passing outage: kadai\'s', async () => {
    const since = Date.now();
    upstream.failWith.status = 503;
    expect((await fetch(`${mirror}/pypi/simple/flask/`, { headers: asBuild('build-d') })).status).toBe(502);
    delete upstream.failWith.status;
    expect(await mirrorTrouble(mirror, since, 'build-d')).toMatch(/could not fetch from upstream.*503; \/pypi\/simple\/flask\/ failed during the build and is served now/);
  });

  it('does not record a client that reads slowly as the upstream failing', async () => {
    // a mirror whose upstream may be silent 300 ms; its client stops reading for 1.5 s mid-file
    const m = createPackageMirror({ cacheDir, upstreams: { pypi: `${upstream.base}/simple`, pypiFiles: `${upstream.base}/files` }, upstreamTimeoutMs: 300 });
    const server = createServer((req, res) => m.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const since = Date.now();
    try {
      const received = await new Promise<number>((resolve, reject) => {
        get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/pypi/files/packages/cc/big.whl`, (res) => {
          let bytes = 0;
          let paused = false;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (paused) return;
            paused = true;
            res.pause();
            setTimeout(() => res.resume(), 1500);
          });
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
        }).on('error', reject);
      });
      expect(received).toBe(BIG_FILE.length);
      expect(m.status(since).failures).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('answers its status on loopback only, never on an address builds reach', async () => {
    const m = createPackageMirror({ cacheDir, upstreams: { pypi: `${upstream.base}/simple` } });
    // the machine's own non-loopback address stands for the build bridge's gateway
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(outside).toBeDefined();
    const server = createServer((req, res) => m.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, outside, resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      expect((await fetch(`http://${outside}:${port}/_kadai/status`)).status).toBe(404);
      expect((await fetch(`${mirror}/_kadai/status`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('reports an unreachable upstream and an unreachable mirror', async () => {
    const since = Date.now();
    upstream.server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await fetch(`${mirror}/pypi/simple/unknown/`)).status).toBe(502);
    expect(await mirrorTrouble(mirror, since)).toMatch(/failed \(/);
    expect(await mirrorTrouble('http://127.0.0.1:9', since)).toMatch(/unreachable/);
  });
});
