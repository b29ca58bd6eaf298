import type { SubmissionView } from '@kadai/client';
import { createDockerGrader, DEFAULT_DOCKER_OPTIONS, KADAI_ENGINE_SOCKET, leftovers } from '@kadai/grader-docker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, REPO_ROOT, startStack, type Stack } from '../support/stack';
import { buildProcesses } from './support';

// The sandbox's limits, through the real api and worker on kadai's engine: each hostile submission
// ends as a failed check that names the limit it hit (the student's failure, the same verdict every
// time), leaves no process and nothing labelled behind; a limit that cannot be applied stops
// grading (an infrastructure error, /readyz false on the worker and the api), never a build without it.
jest.setTimeout(400_000);

const DISK_MB = 64;
const IMAGE_MAX_MB = 200; // python:3.10-slim (161 MB here) builds within it
const BUILD_TIMEOUT_S = 45; // a plain build of a few steps takes >20 s on 2 loaded cores
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_limits', {
    redisDb: 14,
    workers: 1,
    // one student sends every case: more than a student's submission budget
    apiEnv: { KADAI_RATE_STUDENT_SUBMISSIONS: '1000' },
    // the huge image below is pulled from kadai's registry by its host name, as an operator's own registry
    workerEnv: { KADAI_DOCKER_REGISTRIES: 'http://127.0.0.1:5000', KADAI_DOCKER_DISK_MB: String(DISK_MB), KADAI_DOCKER_IMAGE_MAX_MB: String(IMAGE_MAX_MB), KADAI_DOCKER_BUILD_TIMEOUT_MS: String(BUILD_TIMEOUT_S * 1000) },
  });
}, 300_000); // a stack starts slowly on 2 loaded cores
afterAll(() => stack?.stop());

const engine = createDockerGrader().docker;
const solution = (lab: string) => {
  const dir = path.join(REPO_ROOT, 'labs', lab, 'solution');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
};
const python = (dockerfile: string) => ({ ...solution('docker-python-app'), Dockerfile: dockerfile });

async function grade(lab: string, files: Record<string, string>, who: 'student1' | 'student2' = 'student1'): Promise<SubmissionView> {
  const client = stack.client(who);
  const accepted = await client.submitJson({ lab, files });
  const view = await client.waitForResult(accepted.id, 380_000);
  expect(buildProcesses(accepted.id)).toEqual([]);
  expect(await leftovers(engine, accepted.id)).toEqual([]);
  return view;
}

const check = (view: SubmissionView, id: string) => view.checks.find((c) => c.checkId === id);

/** An image in kadai's registry above the image size limit, whose layers the engine does not keep: 210 MB of random bytes. */
const HUGE = '127.0.0.1:5000/limits-test/huge:1';
async function hugeImageInRegistry(): Promise<void> {
  const inRegistry = await fetch('http://127.0.0.1:5000/v2/limits-test/huge/manifests/1', { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  if (!inRegistry.ok) {
    // made once per machine
    const docker = (args: string[], input?: string) =>
      execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${KADAI_ENGINE_SOCKET}`, DOCKER_BUILDKIT: '0' }, input, stdio: ['pipe', 'ignore', 'inherit'] });
    docker(['build', '-q', '-t', HUGE, '-'], 'FROM busybox:1.36\nRUN head -c 220200960 /dev/urandom > /blob\n');
    docker(['push', HUGE]);
  }
  await engine.getImage(HUGE).remove({ force: true }).catch(() => undefined);
}

/** The `RUN --mount=type=cache` caches buildkitd still holds for a submission's attempts (their ids start with the attempt's prefix). */
function cacheMounts(submissionId: string): string[] {
  const { buildctl, address } = DEFAULT_DOCKER_OPTIONS.buildkit;
  const records = execFileSync(buildctl, ['--addr', address, 'du', '--verbose', '--filter', 'type==exec.cachemount'], { encoding: 'utf8' });
  const prefix = `kadai-${submissionId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}-`;
  return records.split('\n').filter((line) => line.includes(`"${prefix}`));
}

describe('build limits', () => {
  it('a fork bomb in a RUN step stops at the pids limit, with the same verdict twice and no process left', async () => {
    const bomb = python("FROM python:3.10-slim\nRUN sh -c 'f() { f | f & }; f; sleep 600'\n");
    const first = await grade('docker-python-app', bomb);
    const second = await grade('docker-python-app', bomb, 'student2');
    for (const view of [first, second]) {
      expect(view.state).toBe('graded');
      expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/process limit \(1024 processes/), ja: expect.stringMatching(/プロセス数の上限/) } });
    }
    const verdict = (v: SubmissionView) => ({ score: v.score, checks: v.checks.map((c) => [c.checkId, c.status, c.message?.en]) });
    expect(verdict(second)).toEqual(verdict(first));
  });

  it('a CPU burner in a RUN step stops at the build time limit and its processes are killed', async () => {
    const view = await grade('docker-python-app', python('FROM python:3.10-slim\nRUN sh -c "while :; do :; done"\n'));
    expect(view.state).toBe('graded');
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(new RegExp(`^The build did not finish within ${BUILD_TIMEOUT_S} s of the attempt's \\d+ s budget`)) } });
  });

  it('a RUN step that writes a file larger than the disk limit stops at it (RLIMIT_FSIZE on BuildKit steps)', async () => {
    const view = await grade('docker-python-app', python('FROM python:3.10-slim\nRUN dd if=/dev/zero of=/fill bs=1M count=2000\n'));
    expect(view.state).toBe('graded');
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringContaining(`disk limit (${DISK_MB} MiB per file a step writes)`) } });
    expect(check(view, 'builds')?.evidence).toMatch(/exit code: 153|File too large/);
  });

  const attemptDiskLimit = `the build reached the disk limit (${DISK_MB} MiB written by all of the attempt's build steps together)`;

  it('a RUN step that writes many files, each below the per-file limit, stops at the disk limit for all it writes', async () => {
    // 400 files of 1 MiB: RLIMIT_FSIZE never fires; the watch measures the step's writable layer
    const view = await grade('docker-python-app', python('FROM python:3.10-slim\nRUN for i in $(seq 1 400); do dd if=/dev/zero of=/fill-$i bs=1M count=1 2>/dev/null; done; sleep 120\n'));
    expect(view.state).toBe('graded');
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringContaining(attemptDiskLimit) } });
  });

  it('the disk limit holds for the whole build: three RUN steps writing 60% of it each fail, one passes', async () => {
    const step = (n: number) => `RUN dd if=/dev/zero of=/fill-${n} bs=1M count=${Math.round(DISK_MB * 0.6)} 2>/dev/null # ${randomUUID()}`;
    // busybox: nothing of the base counts, and the image stays far below the image size limit
    const [three, one] = await Promise.all([
      grade('docker-python-app', python(['FROM busybox:1.36', step(1), step(2), step(3)].join('\n'))),
      grade('docker-python-app', python(['FROM busybox:1.36', step(1)].join('\n')), 'student2'),
    ]);
    expect(check(three, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringContaining(attemptDiskLimit) } });
    // the app cannot run on busybox (the later checks fail): only the build is judged here
    expect(check(one, 'builds')).toMatchObject({ status: 'pass' });
  });

  // what the student reads: the limit, how much the steps wrote, and the step that wrote most
  const stepsWrote = (command: RegExp) => new RegExp(`${attemptDiskLimit.replace(/[()]/g, '\\$&')}: its steps wrote \\d+ MiB, the most \\(\\d+ MiB\\) by \`${command.source}`);
  // 100 files of 1 MiB (RLIMIT_FSIZE never fires), then a step that would pass if nothing saw them
  const fill = (dir: string) => `for i in $(seq 1 100); do dd if=/dev/zero of=${dir}/f$i bs=1M count=1 2>/dev/null; done; sleep 30`;

  it('a RUN --mount=type=cache fill (in buildkitd\'s store, not the step\'s layer) stops at the disk limit', async () => {
    const view = await grade('docker-python-app', python(`FROM busybox:1.36\nRUN --mount=type=cache,target=/cache ${fill('/cache')}\n`));
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(stepsWrote(/\/bin\/sh -c for i in/)) } });
    // the attempt's cache is gone with it
    expect(cacheMounts(view.id)).toEqual([]);
  });

  it('a RUN --mount=type=bind,rw fill (a copy of the context in buildkitd\'s store) stops at the disk limit', async () => {
    const view = await grade('docker-python-app', python(`FROM busybox:1.36\nRUN --mount=type=bind,target=/ctx,rw ${fill('/ctx')}\n`));
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(stepsWrote(/\/bin\/sh -c for i in/)) } });
  });

  /** An intermediate stage whose two steps write 40 MiB each (the second slowly), none of it in the image; a new input each time. */
  const intermediateStageFill = () =>
    python(
      [
        'FROM busybox:1.36 AS fill',
        'RUN dd if=/dev/zero of=/a bs=1M count=40 2>/dev/null && echo one > /one && sleep 8',
        'RUN dd if=/dev/zero of=/b bs=1M count=40 2>/dev/null && echo two > /two && sleep 30',
        'FROM busybox:1.36',
        'COPY --from=fill /one /two /',
        `# ${randomUUID()}`,
      ].join('\n'),
    );

  it("an intermediate stage writing over the limit fails, and the same submission fails again when its first step comes from BuildKit's cache", async () => {
    // the first step (40 MiB) ends and is cached; the slow second one (40 MiB more) is stopped.
    // Graded again, the first step would come from the cache, unmeasured, and the second alone is under the limit
    const files = intermediateStageFill();
    const first = await grade('docker-python-app', files);
    const second = await grade('docker-python-app', files, 'student2');
    for (const view of [first, second]) {
      expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(stepsWrote(/\/bin\/sh -c dd if=\/dev\/zero of=\/[ab] bs=1M count=40/)) } });
    }
  });

  it('two identical submissions graded at once get the verdict the same submission gets alone: no step of theirs is shared unmeasured', async () => {
    // BuildKit runs identical steps of builds in flight at once only once, in the build cgroup of
    // whichever asked first: the other build's watch would measure none of its 80 MiB and pass it.
    // The steps' sleeps keep the two builds in flight together (the worker grades two docker jobs at once).
    const files = intermediateStageFill();
    const together = await Promise.all([grade('docker-python-app', files), grade('docker-python-app', files, 'student2')]);
    const alone = await grade('docker-python-app', files);
    const verdict = (v: SubmissionView) => ({ state: v.state, score: v.score, checks: v.checks.map((c) => [c.checkId, c.status]) });
    for (const view of [...together, alone]) {
      expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(stepsWrote(/\/bin\/sh -c dd if=\/dev\/zero of=\/[ab] bs=1M count=40/)) } });
      expect(verdict(view)).toEqual(verdict(alone));
    }
  });

  it("a FROM of an image above the size limit fails the build before it starts, naming the Dockerfile's line", async () => {
    await hugeImageInRegistry();
    // a Docker Hub name: kadai's registry holds it at its root (limits-test/huge), as it holds the stand-ins
    const view = await grade('docker-python-app', python('FROM limits-test/huge:1\nCOPY . /app\n'));
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(new RegExp(`Dockerfile:1: the image limits-test/huge:1 is 21\\d MiB; at most ${IMAGE_MAX_MB} MiB are allowed`)) });
    // judged from the registry's manifest: no step ran, nothing was pulled for it
    expect(check(view, 'builds')?.evidence).toMatch(/--- build log \(last lines\) ---\n*$/);
  });

  it("an image above the size limit fails the build, naming the limit; the attempt's own layers are removed, the base image stays", async () => {
    const marker = randomUUID();
    // python:3.10-slim is below the limit; 60 MB written on top of it is not
    const view = await grade('docker-python-app', python(`FROM python:3.10-slim\nRUN echo ${marker} > /marker && head -c 62914560 /dev/urandom > /blob\nCOPY . /app\nCMD ["python", "/app/app.py"]\n`));
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(new RegExp(`above the image size limit \\(${IMAGE_MAX_MB} MiB\\)`)) } });
    const images = await engine.listImages({ all: true });
    const steps = await Promise.all(images.map((i) => engine.getImage(i.Id).inspect().then((info) => JSON.stringify(info.ContainerConfig?.Cmd ?? []), () => '')));
    expect(steps.filter((cmd) => cmd.includes(marker))).toEqual([]);
    expect(images.some((i) => (i.RepoTags ?? []).includes('python:3.10-slim'))).toBe(true);
  });
});

describe('run limits', () => {
  it('a container that fills its disk hits its own limit: a failed check that says so', async () => {
    const view = await grade('docker-run-nginx', { 'run.txt': `docker run -d -p 8080:80 nginx sh -c "dd if=/dev/zero of=/fill bs=1M count=1000 && exec nginx -g 'daemon off;'"\n` });
    expect(view.state).toBe('graded');
    // nginx never starts: the page check fails (after its retries, so dd has long met the limit) and says why
    expect(check(view, 'http-8080')?.status).toBe('fail');
    expect(check(view, 'http-8080')?.evidence).toContain(`the container reached its disk limit (${DISK_MB} MiB written on top of its image`);
    expect(check(view, 'http-8080')?.evidence).toContain('Disk quota exceeded');
  });

  it('a named volume has the same disk limit: writing into it stops there too', async () => {
    const view = await grade('docker-run-nginx', { 'run.txt': `docker run -d -p 8080:80 -v data:/data nginx sh -c "dd if=/dev/zero of=/data/fill bs=1M count=1000 && exec nginx -g 'daemon off;'"\n` });
    expect(view.state).toBe('graded');
    expect(check(view, 'http-8080')?.status).toBe('fail');
    expect(check(view, 'http-8080')?.evidence).toContain('the container reached its disk limit');
    expect(check(view, 'http-8080')?.evidence).toMatch(/Disk quota exceeded/);
  });

  it('a container has only the capabilities a lab needs (CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID NET_BIND_SERVICE)', async () => {
    // the container prints its capability sets and exits: the running check shows its log
    const view = await grade('docker-run-nginx', { 'run.txt': 'docker run -d -p 8080:80 nginx sh -c "grep ^Cap /proc/self/status"\n' });
    expect(check(view, 'running')?.status).toBe('fail');
    // bits 0 1 3 5 6 7 10 = 0x4eb; Docker's default set is 0xa80425fb
    expect(check(view, 'running')?.evidence).toMatch(/CapBnd:\s+00000000000004eb/);
    expect(check(view, 'running')?.evidence).toMatch(/CapEff:\s+00000000000004eb/);
  });

  it('an image named on a host kadai does not serve is never pulled (the engine is on the host network)', async () => {
    // etcd's client port on the host's loopback: a pull there used to bring etcd's 404 page back as feedback
    const view = await grade('docker-run-nginx', { 'run.txt': 'docker run -d -p 8080:80 127.0.0.1:2379/x:1\n' });
    expect(view.state).toBe('graded');
    expect(check(view, 'running')?.evidence).toMatch(/names the registry 127\.0\.0\.1:2379, which the sandbox cannot reach/);
    expect(JSON.stringify(view)).not.toMatch(/404 page not found/);
  });

  it('a pull above the image size limit is stopped', async () => {
    await hugeImageInRegistry();
    const view = await grade('docker-run-nginx', { 'run.txt': `docker run -d -p 8080:80 ${HUGE}\n` });
    expect(view.state).toBe('graded');
    expect(check(view, 'running')?.evidence).toMatch(new RegExp(`larger than the image size limit \\(${IMAGE_MAX_MB} MiB\\): its pull was stopped`));
    await expect(engine.getImage(HUGE).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('a limit that cannot be applied', () => {
  let unsafe: Stack;
  let workerPort: number;
  beforeAll(async () => {
    unsafe = await startStack('docker_unsafe', { redisDb: 14, workers: 0 });
    workerPort = await freePort();
    // not a cgroup filesystem: no pids limit can be set for builds
    await unsafe.startWorker({ KADAI_DOCKER_CGROUP_ROOT: '/tmp', KADAI_WORKER_METRICS_PORT: String(workerPort) });
  }, 300_000); // a stack starts slowly on 2 loaded cores
  afterAll(() => unsafe?.stop());

  it('stops grading: readiness false on the worker and the api, and a submission is an infrastructure error, never a score', async () => {
    // the worker's start-up check runs beside its start: wait for its word
    let ready = await fetch(`${unsafe.apiUrl}/readyz`);
    for (let i = 0; i < 300 && ready.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await fetch(`${unsafe.apiUrl}/readyz`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ sandbox: expect.stringMatching(/unsafe: worker test-worker-1: sandbox limit not in place: \/tmp is neither a cgroup/) });
    const worker = await fetch(`http://127.0.0.1:${workerPort}/readyz`);
    expect(worker.status).toBe(503);
    expect(await worker.json()).toMatchObject({ status: 'not ready', dockerSandbox: { ok: false } });
    const client = unsafe.client('student1');
    const accepted = await client.submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': 'docker run -d -p 8080:80 nginx\n' } });
    const view = await client.waitForResult(accepted.id, 120_000);
    // no check ran: an infrastructure error (the student sees kadai's notice, not a score)
    expect(view).toMatchObject({ state: 'error', score: null, checks: [] });
    expect(await leftovers(engine, accepted.id)).toEqual([]);
    // said loudly in the worker's log
    expect(unsafe.logOf('test-worker-1')).toMatch(/DOCKER SANDBOX UNSAFE/);
  });
});
