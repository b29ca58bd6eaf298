import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ApiError } from '@kadai/client';
import { DEFAULT_DOCKER_OPTIONS } from '@kadai/grader-docker';
import { startStack, type Stack } from '../support/stack';

// Builds as on a student's Docker 23+, through the real api and worker on kadai's BuildKit daemon:
// heredocs and `# syntax=docker/dockerfile:1` (no frontend pulled), RUN --mount=type=cache within
// one attempt and never across two, images only from kadai's registry (what RUN steps reach: in
// hostile-api.test.ts). Each submission is the docker-python-app lab's solution with another Dockerfile.
jest.setTimeout(600_000);

const solutionDir = path.join(__dirname, '..', '..', 'labs', 'docker-python-app', 'solution');
const solution = Object.fromEntries(readdirSync(solutionDir).map((f) => [f, readFileSync(path.join(solutionDir, f), 'utf8')]));
const TAIL = 'EXPOSE 5000\nCMD ["python", "app.py"]\n';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_buildkit', { redisDb: 15, workers: 1, apiEnv: { KADAI_RATE_STUDENT_SUBMISSIONS: '1000' } });
}, 420_000); // the api and the worker get 180 s each to answer (a first compile takes minutes on a loaded machine)
afterAll(() => stack?.stop());

async function grade(files: Record<string, string>, student: 'student1' | 'student2' = 'student1') {
  const client = stack.client(student);
  const accepted = await client.submitJson({ lab: 'docker-python-app', files: { ...solution, ...files } });
  const view = await client.waitForResult(accepted.id, 300_000);
  const failed = view.checks.filter((c) => c.status !== 'pass').map((c) => `${c.checkId} ${c.status}: ${c.evidence ?? ''}`);
  return { id: accepted.id, view, failed };
}

it('a heredoc Dockerfile with # syntax=docker/dockerfile:1 builds and runs: full marks, no frontend pulled', async () => {
  const dockerfile = [
    '# syntax=docker/dockerfile:1',
    'FROM python:3.10-slim',
    'COPY <<REQ requirements.txt',
    'flask',
    'REQ',
    'COPY app.py app.py',
    'RUN <<EOF',
    'set -e',
    'pip install --no-cache-dir -r requirements.txt',
    'echo "FROM kadai-0123456789abcdef-web" > /notes',
    'EOF',
    TAIL,
  ].join('\n');
  const { view, failed } = await grade({ Dockerfile: dockerfile });
  expect(failed).toEqual([]);
  expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
});

it('RUN --mount=type=cache keeps a cache between the steps of one attempt and never hands it to another attempt', async () => {
  // app.py differs per attempt, so the cache steps after COPY app.py run again in the second attempt
  // (BuildKit's layer cache cannot answer them): there a shared cache would still hold the stamp
  const cacheSteps = [
    'FROM python:3.10-slim',
    'COPY requirements.txt requirements.txt',
    'COPY app.py app.py',
    "RUN --mount=type=cache,target=/var/cache/kadai-test sh -c 'test ! -e /var/cache/kadai-test/stamp && cp app.py /var/cache/kadai-test/stamp'",
    'RUN --mount=type=cache,target=/var/cache/kadai-test cmp app.py /var/cache/kadai-test/stamp',
    'RUN pip install --no-cache-dir -r requirements.txt',
    TAIL,
  ].join('\n');
  for (const attempt of [1, 2]) {
    const { view, failed } = await grade({ Dockerfile: cacheSteps, 'app.py': `${solution['app.py']}\n# attempt ${attempt} ${randomUUID()}\n` }, 'student2');
    expect({ attempt, failed }).toEqual({ attempt, failed: [] });
    expect(view.state).toBe('graded');
  }
});

it("the registry repository an attempt's image passed through is empty after grading, and another attempt cannot build FROM it", async () => {
  const registry = DEFAULT_DOCKER_OPTIONS.imageRegistry;
  const { id, view, failed } = await grade({ Dockerfile: `FROM python:3.10-slim\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt && echo ${randomUUID()} > /stamp\n${TAIL}` });
  expect(failed).toEqual([]);
  expect(view.state).toBe('graded');
  // the transfer repository is named after the attempt (kadai-<submission id>-<lease token>-<service>-…)
  const attemptName = `kadai-${id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}-`;
  // the catalog is sorted: the entries right after the attempt's name without its dash are its own
  const catalog = (await (await fetch(`${registry}/v2/_catalog?n=1000&last=kadai-attempts/${attemptName.slice(0, -1)}`)).json()) as { repositories: string[] };
  const repositories = catalog.repositories.filter((r) => r.startsWith(`kadai-attempts/${attemptName}`));
  expect(repositories).toHaveLength(1); // the image did pass through the registry
  const [repository] = repositories as [string];
  expect(repository).toMatch(/-[0-9a-f]{32}$/); // 128 random bits: no other attempt can name it
  const tags = (await (await fetch(`${registry}/v2/${repository}/tags/list`)).json()) as { tags?: string[] | null };
  expect(tags.tags ?? []).toEqual([]);
  expect((await fetch(`${registry}/v2/${repository}/manifests/latest`)).status).toBe(404);
  // nothing of it on the engine either: neither the transfer's name nor the attempt's image
  const engine = new Docker({ socketPath: DEFAULT_DOCKER_OPTIONS.socketPath });
  const ref = `${new URL(registry).host}/${repository}:latest`;
  await expect(engine.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
  // another attempt's Dockerfile naming it, directly or through an ARG, is refused at submission
  for (const dockerfile of [`FROM ${ref}\n${TAIL}`, `ARG BASE=${ref}\nFROM \${BASE}\n${TAIL}`]) {
    const refused = await stack
      .client('student2')
      .submitJson({ lab: 'docker-python-app', files: { ...solution, Dockerfile: dockerfile } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(JSON.stringify((refused as ApiError).problem)).toMatch(/images named kadai-/);
  }
});

it("a FROM of an image kadai's registry does not have is the student's failed build, not kadai's error", async () => {
  const { view, failed } = await grade({ Dockerfile: `FROM ghcr.io/someone/python:3.10-slim\n${TAIL}` });
  expect(view.state).toBe('graded');
  expect(failed.find((f) => f.startsWith('builds '))).toMatch(/^builds fail: .*Dockerfile:1: the image ghcr\.io\/someone\/python:3\.10-slim is not one this course's environment provides/s);
});

it("an ADD whose URL only the build knows (ARG U=…, ADD ${U}) is denied by BuildKit's source policy: the student's failed build, nothing fetched", async () => {
  // kadai's registry catalogue on the host's loopback: what the classic builder once fetched and the app served back
  const { view, failed } = await grade({ Dockerfile: `FROM python:3.10-slim\nARG U=http://127.0.0.1:5000/v2/_catalog\nADD \${U} /catalog\n${TAIL}` });
  expect(view.state).toBe('graded');
  expect(failed.find((f) => f.startsWith('builds '))).toMatch(/^builds fail: .*source "http:\/\/127\.0\.0\.1:5000\/v2\/_catalog" denied by policy/s);
  expect(JSON.stringify(view)).not.toContain('"repositories"');
});

it('a RUN step holds no NET_RAW (no raw socket, no ping) nor MKNOD, while pip installs as before', async () => {
  // each step exits non-zero when it finds the capability: the build, so the "builds" check, fails
  const caps = [
    'import socket',
    "status = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines() if line.startswith('Cap'))",
    "print('caps', status)",
    'for name, bit in (("NET_RAW", 13), ("MKNOD", 27), ("AUDIT_WRITE", 29)):',
    "    assert not int(status['CapEff'], 16) >> bit & 1 and not int(status['CapBnd'], 16) >> bit & 1, name",
    'try:',
    '    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)',
    'except PermissionError:',
    "    print('raw socket: EPERM')",
    'else:',
    "    raise SystemExit('a raw socket opened')",
    '',
  ].join('\n');
  const dockerfile = [
    'FROM busybox:1.36 AS ping',
    // busybox ping needs a raw socket: "permission denied (are you root?)" without NET_RAW
    `RUN if ping -c 1 -W 2 10.203.0.1 >/ping.txt 2>&1; then echo "ping worked: NET_RAW held"; exit 7; fi; cat /ping.txt; grep -q 'permission denied' /ping.txt # ${randomUUID()}`,
    'FROM python:3.10-slim',
    'COPY --from=ping /ping.txt /ping.txt',
    `COPY <<'PY' /caps.py\n${caps}PY`,
    `RUN python /caps.py # ${randomUUID()}`,
    'COPY . .',
    'RUN pip install --no-cache-dir -r requirements.txt',
    TAIL,
  ].join('\n');
  const { view, failed } = await grade({ Dockerfile: dockerfile });
  expect(failed).toEqual([]);
  expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
});
