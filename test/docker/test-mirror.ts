import { BUILD_BRIDGE } from '@kadai/grader-docker';
import { createPackageMirror, type UpstreamFailure } from '@kadai/package-mirror';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A second address on the build bridge for a test's own mirror, beside kadai's on the gateway. */
export const TEST_MIRROR_ADDRESS = '10.203.0.254';

export interface TestMirror {
  /** What the grader (or a worker) is given to use this mirror instead of kadai's. */
  options: { packageMirrorAddress: string; packageMirrorPort: number; packageMirrorStatusUrl: string };
  /** The upstream failures the mirror recorded since `since` (every build's). */
  failures(since: number): UpstreamFailure[];
  workerEnv: Record<string, string>;
  /** Stops the mirror itself (a build then finds nothing listening). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: Server, port: number, host: string) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));

/** What the test mirror's upstream does with the package names in each list (a request for /<name>/). */
export interface UpstreamBehaviour {
  /** Answered 404 (a package that does not exist: the student's mistake, recorded as no failure). */
  missing?: string[];
  /**
   * Answered 500 (a name the index fails on by itself: the worker's own requests show no outage).
   * With this, `silent` or `dropped` the upstream is up: an empty index page for any other request.
   */
  broken?: string[];
  /** … and never answers these (the mirror's upstream timeout ends the wait: no HTTP status). */
  silent?: string[];
  /** … and drops the connection for these (no HTTP status). */
  dropped?: string[];
}

/**
 * kadai's real mirror code, run by the test, whose upstream fails: every upstream request answers
 * 503 (an index outage) but for the `missing` names — unless `broken`, `silent` or `dropped` is
 * given: then the upstream is up and fails only those names, each its own way. It listens on
 * TEST_MIRROR_ADDRESS:80 on the build bridge, so builds reach it as packages.kadai.internal exactly
 * like kadai's own mirror; its upstream timeout is 5 s.
 */
export async function startFailingMirror(behaviour: UpstreamBehaviour = {}): Promise<TestMirror> {
  const { missing = [], broken, silent, dropped } = behaviour;
  const up = Boolean(broken ?? silent ?? dropped);
  const names = (list: string[] = [], url = '') => list.some((name) => url.includes(`/${name}/`));
  const upstream = createServer((req, res) => {
    if (names(missing, req.url)) res.writeHead(404).end('no such project\n');
    else if (!up) res.writeHead(503).end('upstream down\n');
    else if (names(broken, req.url)) res.writeHead(500).end('internal error\n');
    else if (names(silent, req.url)) return; // ended by closeAllConnections at close
    else if (names(dropped, req.url)) req.socket.destroy();
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body></body></html>\n');
  });
  await listen(upstream, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'kadai-test-mirror-'));
  const mirror = createPackageMirror({
    cacheDir,
    upstreams: { pypi: `${base}/simple`, pypiFiles: `${base}/files`, npm: `${base}/npm`, goproxy: `${base}/go`, debian: `${base}/debian`, debianSecurity: `${base}/debian-security` },
    upstreamTimeoutMs: 5000,
  });
  const onBridge = createServer((req, res) => mirror.handle(req, res));
  const status = createServer((req, res) => mirror.handle(req, res));
  execFileSync('ip', ['addr', 'replace', `${TEST_MIRROR_ADDRESS}/32`, 'dev', BUILD_BRIDGE]);
  await listen(onBridge, 80, TEST_MIRROR_ADDRESS);
  await listen(status, 0, '127.0.0.1');
  const statusUrl = `http://127.0.0.1:${(status.address() as AddressInfo).port}`;
  const stop = async () => {
    await Promise.all([onBridge, status].map((s) => new Promise((resolve) => s.close(resolve))));
  };
  return {
    options: { packageMirrorAddress: TEST_MIRROR_ADDRESS, packageMirrorPort: 80, packageMirrorStatusUrl: statusUrl },
    workerEnv: { KADAI_PACKAGE_MIRROR_ADDRESS: TEST_MIRROR_ADDRESS, KADAI_PACKAGE_MIRROR_PORT: '80', KADAI_PACKAGE_MIRROR_URL: statusUrl },
    failures: (since) => mirror.status(since).failures,
    stop,
    async close() {
      await stop();
      upstream.closeAllConnections();
      upstream.close();
      rmSync(cacheDir, { recursive: true, force: true });
      // the grader let builds reach this address: take that back with the address itself
      const accept = ['-d', `${TEST_MIRROR_ADDRESS}/32`, '-i', BUILD_BRIDGE, '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'ACCEPT'];
      for (;;) {
        try {
          execFileSync('iptables', ['-w', '10', '-D', 'INPUT', ...accept], { stdio: 'pipe' });
        } catch {
          break;
        }
      }
      execFileSync('ip', ['addr', 'del', `${TEST_MIRROR_ADDRESS}/32`, 'dev', BUILD_BRIDGE], { stdio: 'pipe' });
    },
  };
}
