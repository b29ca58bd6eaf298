import { execFile } from 'child_process';
import { docker, removeStarted, runDetached, DOCKER, DOCKER_HOST } from './helpers';

// kadai/probe (infra/images/src/probe): the in-cluster HTTP prober of the Kubernetes grader. Here it
// shares the network namespace of a stand-in server container (`--network container:<id>`), so it
// reaches it on 127.0.0.1 as it reaches a Service from its Pod.

const PROBE = 'kadai/probe:1';
interface Line {
  seq: number;
  status: number;
  error?: string;
  latencyMs: number;
  offsetMs: number;
  bytes: number;
  sha256?: string;
  body: string;
  server?: string;
  headers?: Record<string, string>;
  marks?: string[];
}
interface Summary {
  sent: number;
  ok: number;
  failed: number;
  errors: number;
  statuses: Record<string, number>;
  distinctBodies: number;
  servers: Record<string, number>;
  marks: Record<string, number>;
  latencyMs: { p50: number; p95: number; max: number };
}

let echo: { id: string; hostname: string };
let nginx: { id: string };

beforeAll(async () => {
  const e = await runDetached('kicbase/echo-server:1.0', 8080);
  echo = { id: e.id, hostname: await docker(['inspect', '-f', '{{.Config.Hostname}}', e.id]) };
  nginx = await runDetached('nginx:1.21', 80);
  // both answer before the probe is pointed at them
  await probeOnce(echo.id, ['get', '-url', 'http://127.0.0.1:8080/', '-timeout', '5s']);
});
afterAll(removeStarted);

/** Runs the probe in the network namespace of `container`; returns its exit code and parsed lines. */
async function probe(container: string, args: string[], extra: string[] = []): Promise<{ code: number; lines: unknown[]; stderr: string }> {
  const argv = ['run', '--rm', ...extra, '--network', `container:${container}`, PROBE, ...args];
  return new Promise((resolve) => {
    const child = execFile(DOCKER, argv, { timeout: 60000, env: { ...process.env, DOCKER_HOST } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, lines: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown), stderr });
    });
    child.stdin?.end(); // with -i: the probe's stdin closes at once
  });
}

async function probeOnce(container: string, args: string[]): Promise<Line> {
  const { code, lines, stderr } = await probe(container, args);
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(lines).toHaveLength(1);
  return lines[0] as Line;
}

function split(lines: unknown[]): { requests: Line[]; summary: Summary } {
  const last = lines[lines.length - 1] as { summary?: Summary };
  expect(last.summary).toBeDefined();
  return { requests: lines.slice(0, -1) as Line[], summary: last.summary! };
}

test('get: one request, one line with status, latency, the answering host, a hash and the first bytes', async () => {
  const line = await probeOnce(echo.id, ['get', '-url', 'http://127.0.0.1:8080/hello', '-body-bytes', '40', '-mark', 'GET /hello', '-mark', 'absent-marker']);
  expect(line).toMatchObject({ seq: 0, status: 200, server: echo.hostname, marks: ['GET /hello'] });
  expect(line.error).toBeUndefined();
  expect(line.body).toBe(`Request served by ${echo.hostname}\n\nGET /hello HTTP/1.1\n`.slice(0, 40));
  expect(line.bytes).toBeGreaterThan(40);
  expect(line.sha256).toMatch(/^[0-9a-f]{16}$/);
  expect(line.latencyMs).toBeGreaterThan(0);
  expect(line.headers?.['Content-Type']).toBe('text/plain');
});

test('get: -host sets the Host header (an ingress rule routed through the controller address) and -H adds headers', async () => {
  const line = await probeOnce(echo.id, ['get', '-url', 'http://127.0.0.1:8080/', '-host', 'shop.kadai-a-1.example', '-H', 'X-Kadai-Check: http', '-body-bytes', '4096']);
  expect(line.body).toContain('Host: shop.kadai-a-1.example');
  expect(line.body).toContain('X-Kadai-Check: http');
});

test('get: the k8s echoserver style names its host too; nginx says its image in a header', async () => {
  const k8s = await runDetached('registry.k8s.io/echoserver:1.4', 8080);
  const hostname = await docker(['inspect', '-f', '{{.Config.Hostname}}', k8s.id]);
  const line = await probeOnce(k8s.id, ['get', '-url', 'http://127.0.0.1:8080/', '-timeout', '10s']);
  expect(line).toMatchObject({ status: 200, server: hostname });
  const page = await probeOnce(nginx.id, ['get', '-url', 'http://127.0.0.1:80/', '-timeout', '10s', '-mark', 'nginx 1.21']);
  expect(page).toMatchObject({ status: 200, marks: ['nginx 1.21'] });
  expect(page.headers?.['X-Kadai-Image']).toBe('nginx:1.21');
});

test('get: a 404 is an answer (status 404, no error); a closed port is an error with status 0', async () => {
  const notFound = await probeOnce(nginx.id, ['get', '-url', 'http://127.0.0.1:80/no-such-page']);
  expect(notFound.status).toBe(404);
  expect(notFound.error).toBeUndefined();
  const refused = await probeOnce(nginx.id, ['get', '-url', 'http://127.0.0.1:81/']);
  expect(refused.status).toBe(0);
  expect(refused.error).toMatch(/^connection refused: /);
});

test('run at a rate for a duration: one line per request at about that rate, then a summary', async () => {
  const { code, lines } = await probe(echo.id, ['run', '-url', 'http://127.0.0.1:8080/', '-rate', '20', '-duration', '2s', '-body-bytes', '0']);
  expect(code).toBe(0);
  const { requests, summary } = split(lines);
  // 20/s for 2 s: the first request at once, then one per 50 ms tick
  expect(requests.length).toBeGreaterThanOrEqual(36);
  expect(requests.length).toBeLessThanOrEqual(41);
  expect(new Set(requests.map((r) => r.seq)).size).toBe(requests.length);
  expect(requests.every((r) => r.status === 200 && r.body === '')).toBe(true);
  const offsets = requests.map((r) => r.offsetMs).sort((a, b) => a - b);
  expect(offsets[offsets.length - 1]!).toBeGreaterThan(1700);
  expect(summary).toMatchObject({
    sent: requests.length, ok: requests.length, failed: 0, errors: 0,
    statuses: { '200': requests.length }, servers: { [echo.hostname]: requests.length }, distinctBodies: 1,
  });
  expect(summary.latencyMs.p95).toBeGreaterThanOrEqual(summary.latencyMs.p50);
});

test('run -count: requests one after another; failures are counted (not-2xx/3xx and no answer)', async () => {
  const fails = split((await probe(nginx.id, ['run', '-url', 'http://127.0.0.1:80/missing', '-count', '3'])).lines);
  expect(fails.requests.map((r) => r.seq)).toEqual([0, 1, 2]);
  expect(fails.summary).toMatchObject({ sent: 3, ok: 0, failed: 3, errors: 0, statuses: { '404': 3 } });
  const refused = split((await probe(nginx.id, ['run', '-url', 'http://127.0.0.1:81/', '-count', '2', '-rate', '10'])).lines);
  expect(refused.summary).toMatchObject({ sent: 2, ok: 0, failed: 2, errors: 2, statuses: {} });
});

test('run -stop-on-eof ends when stdin closes (the grader ends an open-ended probe so)', async () => {
  const t0 = Date.now();
  // docker run -i with no input: stdin is closed at once
  const { code, lines } = await probe(echo.id, ['run', '-url', 'http://127.0.0.1:8080/', '-rate', '10', '-duration', '60s', '-stop-on-eof'], ['-i']);
  expect(code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(20000);
  expect(split(lines).summary.sent).toBeGreaterThanOrEqual(1);
});

test('bad usage exits 2 with a message and sends nothing', async () => {
  for (const args of [['run', '-url', 'http://127.0.0.1:8080/'], ['get'], ['get', '-url', 'file:///etc/passwd'], ['frobnicate']]) {
    const r = await probe(echo.id, args);
    expect({ args, code: r.code, lines: r.lines }).toEqual({ args, code: 2, lines: [] });
  }
});

test('idle (the default command) runs as a non-root user and stops at once on SIGTERM', async () => {
  const idle = await runDetached(PROBE, 8080);
  expect(await docker(['inspect', '-f', '{{.Config.User}} {{json .Config.Cmd}}', idle.id])).toBe('65532:65532 ["idle"]');
  const t0 = Date.now();
  await docker(['stop', '-t', '20', idle.id]);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(await docker(['inspect', '-f', '{{.State.ExitCode}}', idle.id])).toBe('0');
});
