import { ApiError, type SubmissionView } from '@kadai/client';
import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { labsFolder } from '../support/labs-folder';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';
import { HOSTILE_COMPOSE, HOSTILE_DOCKERFILES, HOSTILE_RUN_LINES } from './hostile-cases';
import { createNetnsTarget, hostAddress, type NetnsTarget } from './netns';
import { buildProcesses } from './support';

// Hostile submissions through the real api and worker on kadai's engine. Whatever the policy refuses
// is refused by the api at submission (422 naming file, line and field, no attempt used); what only
// running it shows is graded by the worker against a lab whose checks expose it (test/docker/hostile-labs,
// loaded beside the course's docker labs): `graded`, never `error`, never full marks for a hostile
// submission, the limit that contained it in the evidence, nothing left on the engine.
jest.setTimeout(420_000);

const PIDS = 128;
const CPUS = 0.5;
const MEMORY_MB = 256;
const COURSE_LABS = ['docker-compose-counter', 'docker-python-app', 'docker-run-nginx'].map((lab) => path.join(REPO_ROOT, 'labs', lab));
const TEST_LABS = ['hostile-run', 'hostile-net', 'hostile-build'].map((lab) => path.join(__dirname, 'hostile-labs', lab));
const PROBE = readFileSync(path.join(__dirname, 'probe.py'), 'utf8');
const engine = createDockerGrader().docker;

const solution = (lab: string) => {
  const dir = path.join(REPO_ROOT, 'labs', lab, 'solution');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
};

let stack: Stack;
let labsDir: string;
let target: NetnsTarget;
let hostService: Server;
let hostPort: number;
beforeAll(async () => {
  target = await createNetnsTarget();
  // a service on the host listening on every address, IPv4 and IPv6 (link-local too), like a database or a kubelet would
  hostService = createServer((socket) => socket.end('host-service\n'));
  await new Promise<void>((resolve) => hostService.listen(0, '::', resolve));
  hostPort = (hostService.address() as AddressInfo).port;
  labsDir = labsFolder([...COURSE_LABS, ...TEST_LABS]);
  stack = await startStack('docker_hostile', {
    redisDb: 9,
    workers: 1,
    labsDir,
    // one student sends every refused case within a minute: more than a student's submission budget
    apiEnv: { KADAI_RATE_STUDENT_SUBMISSIONS: '1000' },
    workerEnv: { KADAI_CONCURRENCY_DOCKER: '3', KADAI_DOCKER_PIDS: String(PIDS), KADAI_DOCKER_CPUS: String(CPUS), KADAI_DOCKER_MEMORY_MB: String(MEMORY_MB) },
  });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(async () => {
  await stack?.stop();
  target?.close();
  hostService?.close();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
});

describe('refused at submission by the api (student1 sends only these)', () => {
  async function refusal(lab: string, files: Record<string, string>): Promise<string[]> {
    const error = await stack
      .client('student1')
      .submitJson({ lab, files })
      .catch((e: unknown) => e);
    if (!(error instanceof ApiError)) throw new Error(`${lab}: the api accepted ${JSON.stringify(files).slice(0, 200)}`);
    expect(error.problem.status).toBe(422);
    const errors = (error.problem as { errors?: Array<{ file?: string; line?: number; field?: string; message: string }> }).errors ?? [];
    return errors.map((i) => `${i.file ?? ''}:${i.line ?? ''} ${i.field ?? ''}: ${i.message}`);
  }

  it.each(HOSTILE_COMPOSE)('a Compose file: %s', async (_name, files, expected) => {
    expect((await refusal('docker-compose-counter', files))[0]).toMatch(expected);
  });

  it.each(HOSTILE_DOCKERFILES)('a Dockerfile: %s', async (_name, files, expected) => {
    expect((await refusal('docker-python-app', { ...files, 'app.py': 'print(1)\n', 'requirements.txt': 'flask\n' }))[0]).toMatch(expected);
  });

  it.each(HOSTILE_RUN_LINES)('a docker run line: %s', async (_name, files, expected) => {
    expect((await refusal('docker-run-nginx', files))[0]).toMatch(expected);
  });

  it('none of them used an attempt or reached the worker', async () => {
    const rows = await stack.sql<{ state: string; attempt: number | null }>("SELECT s.state, s.attempt FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.login = 'student1'");
    expect(rows.filter((r) => r.attempt !== null || r.state !== 'rejected')).toEqual([]);
  });
});

describe('graded by the worker, contained (student2; all submitted at once, then awaited one by one)', () => {
  const pending = new Map<string, Promise<{ id: string; view: SubmissionView }>>();
  const submit = (name: string, lab: string, files: Record<string, string>) => {
    const client = stack.client('student2');
    const graded = client.submitJson({ lab, files }).then(async (accepted) => ({ id: accepted.id, view: await client.waitForResult(accepted.id, 400_000) }));
    graded.catch(() => undefined); // awaited (and reported) by its own test
    pending.set(name, graded);
  };
  /** The graded view of a case, after checking it ended `graded` and left no process and nothing labelled behind. */
  const verdict = async (name: string) => {
    const { id, view } = await pending.get(name)!;
    expect([view.state, view.error ?? null]).toEqual(['graded', null]);
    expect(buildProcesses(id)).toEqual([]);
    expect(await leftovers(engine, id)).toEqual([]);
    return view;
  };
  const check = (view: SubmissionView, id: string) => view.checks.find((c) => c.checkId === id);
  const run = (line: string) => ({ 'run.txt': `${line}\n` });
  const probeArgs = (groups: Record<string, string[]>, reach: Record<string, string>) => [
    ...Object.entries(groups).map(([group, targets]) => `${group}=${targets.join(',')}`),
    ...Object.entries(reach).flatMap(([name, url]) => ['--reach', `${name}=${url}`]),
  ];
  const lan = () => [`${target.v4}:${target.port}`, `[${target.v6}]:${target.port}`, `${target.linkLocal}:${target.port}`];
  // `%` alone: the zone of the probe's own link; the target's fe80 address is on another link (the host's veth)
  const linkLocalV6 = () => ['@gw6:' + hostPort, `[${target.linkLocalV6}%]:${target.port}`];

  beforeAll(() => {
    // each reads its limit first from the cgroup files (v1 or v2, as the machine has them) and prints it
    // once the bomb is going, the shell that started it runs builtins only until it has spoken: a
    // command it must fork for (sleep) fails at the limit and ends a non-interactive sh, so it waits
    // for the limit (one rehearsal's `sleep 2` died so, "still here" unsaid) by reading pids.events,
    // whose count of forks refused at the limit only grows: pids.current, read before, moves up and
    // down as the bomb's shells fail and exit, and another rehearsal's shell never saw it at the max
    submit('fork bomb', 'hostile-run', run(`docker run -d busybox:1.36 sh -c 'p=/sys/fs/cgroup/pids; [ -e $p/pids.max ] || p=/sys/fs/cgroup; read max < $p/pids.max; f(){ f | f & }; f; until read event refused < $p/pids.events; [ "$refused" -gt 0 ]; do :; done; echo "still here under pids.max $max"; sleep 60'`));
    submit('memory hog', 'hostile-run', run(`docker run -d python:3.10-slim python3 -c "import os, time; limit = next(p for p in ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory.max'] if os.path.exists(p)); print('memory limit', open(limit).read().strip(), flush=True); b = bytearray(1024 * 1024 * 1024); time.sleep(60)"`));
    submit('CPU burner', 'hostile-run', run(`docker run -d busybox:1.36 sh -c 'if [ -e /sys/fs/cgroup/cpu.max ]; then read q p < /sys/fs/cgroup/cpu.max; else read q < /sys/fs/cgroup/cpu/cpu.cfs_quota_us; read p < /sys/fs/cgroup/cpu/cpu.cfs_period_us; fi; echo "still here under a CPU quota of $q per $p"; while :; do :; done'`));
    submit('log flood', 'hostile-run', run(`docker run -d busybox:1.36 sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c 104857600; sleep 60'`));
    const runTime = probeArgs(
      { EGRESS: ['deb.debian.org:80', 'pypi.org:443'], LAN: lan(), HOST: [`@gw4:${hostPort}`, `${hostAddress()}:${hostPort}`, `10.203.0.1:${hostPort}`], 'LINK-LOCAL-V6': linkLocalV6() },
      { PEER: 'http://web/~Welcome to nginx' },
    );
    // JSON is YAML; $ is Compose's interpolation (the probe has none)
    submit('network at run time', 'hostile-net', { 'compose.yaml': `services:\n  app:\n    image: python:3.10-slim\n    command: ${JSON.stringify(['python3', '-c', PROBE, '--hold', ...runTime])}\n  web:\n    image: nginx:1.21\n` });
    const buildTime = probeArgs(
      { LAN: lan(), HOST: [`@gw4:${hostPort}`, `${hostAddress()}:${hostPort}`, '10.203.0.1:5000'], 'LINK-LOCAL-V6': linkLocalV6() },
      { MIRROR: 'http://packages.kadai.internal/pypi/simple/flask/~flask-3.0.3' },
    );
    submit('network in RUN', 'hostile-build', { Dockerfile: `FROM python:3.10-slim\nCOPY probe.py /probe.py\nRUN python3 /probe.py ${buildTime.map((a) => `'${a}'`).join(' ')}\n`, 'probe.py': PROBE });
  });

  it('a fork bomb stops at the pids limit: the shell that started it goes on', async () => {
    const view = await verdict('fork bomb');
    expect(check(view, 'survives')).toMatchObject({ status: 'pass', evidence: expect.stringContaining(`still here under pids.max ${PIDS}`) });
    expect(check(view, 'answers')?.status).toBe('fail');
  });

  it('a memory hog is killed at the memory limit: the failed check says so', async () => {
    const view = await verdict('memory hog');
    expect(check(view, 'running')?.status).toBe('fail');
    expect(check(view, 'running')?.evidence).toMatch(/OOM killed/);
    expect(check(view, 'running')?.evidence).toContain(`memory limit ${MEMORY_MB * 1024 * 1024}`);
  });

  it('an endless loop runs within its CPU share and ends with the attempt', async () => {
    const view = await verdict('CPU burner');
    expect(check(view, 'survives')).toMatchObject({ status: 'pass', evidence: expect.stringContaining(`still here under a CPU quota of ${CPUS * 100_000} per 100000`) });
    expect(check(view, 'answers')?.status).toBe('fail');
  });

  it('100 MB of log output: the check fails with a bounded evidence', async () => {
    const view = await verdict('log flood');
    expect(check(view, 'survives')?.status).toBe('fail');
    expect(Buffer.byteLength(check(view, 'survives')?.evidence ?? '')).toBeLessThanOrEqual(16 * 1024);
  });

  it('at run time: no egress, no LAN or metadata, not the host over IPv4 or IPv6 link-local (fe80::/10), but its own services', async () => {
    // control: the same probe run on the host reaches each target of the test's network namespace, fe80:: included
    for (const address of [...lan(), `[${target.linkLocalV6}%${target.hostLink}]:${target.port}`]) {
      const control = spawnSync('python3', [path.join(__dirname, 'probe.py'), `CONTROL=${address}`], { encoding: 'utf8', timeout: 20_000 });
      expect(`${control.status} ${control.stdout}`).toMatch(/^7 [^]*CONTROL-OPEN/);
    }
    const view = await verdict('network at run time');
    expect(view.checks.map((c) => `${c.checkId} ${c.status} ${c.evidence?.split('\n').pop() ?? ''}`)).toEqual(view.checks.map((c) => `${c.checkId} pass ${c.evidence?.split('\n').pop() ?? ''}`));
  });

  it('in a RUN step: the package mirror, and not the LAN, metadata, IPv6, IPv6 link-local (fe80::/10), the host or its registry', async () => {
    const view = await verdict('network in RUN');
    expect(`${check(view, 'builds')?.status} ${check(view, 'builds')?.evidence ?? ''}`).toMatch(/^pass/);
  });
});

it('what compose-go accepts and docker-compose 1.29 refused (a top-level name:) is graded with full marks', async () => {
  const files = solution('docker-compose-counter');
  const client = stack.client('student2');
  const accepted = await client.submitJson({ lab: 'docker-compose-counter', files: { ...files, 'compose.yaml': `name: counter\n${files['compose.yaml']}` } });
  const view = await client.waitForResult(accepted.id, 300_000);
  expect(view.state).toBe('graded');
  expect(view.checks.map((c) => `${c.checkId} ${c.status}`)).toEqual(view.checks.map((c) => `${c.checkId} pass`));
});
