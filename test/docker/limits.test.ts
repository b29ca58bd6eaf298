import { createDockerGrader, KADAI_ENGINE_SOCKET, leftovers } from '@kadai/grader-docker';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { SubmissionView } from '@kadai/client';
import { readdirSync, readFileSync } from 'node:fs';
import { startStack, type Stack } from '../support/stack';

// The sandbox's limits, through the real api and worker on kadai's engine: each hostile submission
// ends as a failed check that names the limit it hit (the student's failure, the same verdict every
// time), leaves no process and nothing labelled behind; a limit that cannot be applied stops
// grading (an infrastructure error, /readyz false), never a build without it.
jest.setTimeout(300_000);

const DISK_MB = 64;
const IMAGE_MAX_MB = 20;
const BUILD_TIMEOUT_S = 45; // a plain build of a few steps takes >20 s on 2 loaded cores
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_limits', {
    redisDb: 12,
    workers: 1,
    workerEnv: { KADAI_DOCKER_DISK_MB: String(DISK_MB), KADAI_DOCKER_IMAGE_MAX_MB: String(IMAGE_MAX_MB), KADAI_DOCKER_BUILD_TIMEOUT_MS: String(BUILD_TIMEOUT_S * 1000) },
  });
}, 120_000);
afterAll(() => stack?.stop());

const engine = createDockerGrader().docker;
const python = (dockerfile: string) => ({ Dockerfile: dockerfile, 'app.py': 'print(1)\n', 'requirements.txt': 'flask\n' });

/** Every process whose cgroup is the attempt's build cgroup or below (kadai names it after the submission). */
function buildProcesses(submissionId: string): number[] {
  const attempt = `/kadai-build/kadai-${submissionId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      return readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(attempt) ? [Number(entry)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

async function grade(lab: string, files: Record<string, string>, who: 'student1' | 'student2' = 'student1'): Promise<SubmissionView> {
  const client = stack.client(who);
  const accepted = await client.submitJson({ lab, files });
  const view = await client.waitForResult(accepted.id, 280_000);
  expect(buildProcesses(accepted.id)).toEqual([]);
  expect(await leftovers(engine, accepted.id)).toEqual([]);
  return view;
}

const check = (view: SubmissionView, id: string) => view.checks.find((c) => c.checkId === id);

describe('build limits', () => {
  it('a fork bomb in a RUN step stops at the pids limit, with the same verdict twice and no process left', async () => {
    const bomb = python("FROM python:3.10-slim\nRUN sh -c 'f() { f | f & }; f; sleep 600'\n");
    const first = await grade('docker-python-app', bomb);
    const second = await grade('docker-python-app', bomb, 'student2');
    for (const view of [first, second]) {
      expect(view.state).toBe('graded');
      expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/process limit \(1024 processes/) } });
    }
    const verdict = (v: SubmissionView) => ({ score: v.score, checks: v.checks.map((c) => [c.checkId, c.status, c.message?.en]) });
    expect(verdict(second)).toEqual(verdict(first));
  });

  it('a CPU burner in a RUN step stops at the build time limit and its processes are killed', async () => {
    const view = await grade('docker-python-app', python('FROM python:3.10-slim\nRUN sh -c "while :; do :; done"\n'));
    expect(view.state).toBe('graded');
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(new RegExp(`^The build did not finish within ${BUILD_TIMEOUT_S} s of the attempt's \\d+ s budget`)) } });
  });

  it('a RUN step that fills the disk stops at the disk limit', async () => {
    const view = await grade('docker-python-app', python('FROM python:3.10-slim\nRUN dd if=/dev/zero of=/fill bs=1M count=2000\n'));
    expect(view.state).toBe('graded');
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringContaining(`disk limit (${DISK_MB} MiB written per step)`) } });
    expect(check(view, 'builds')?.evidence).toMatch(/Disk quota exceeded/);
  });

  it("an image above the size limit fails the build, naming the limit; the attempt's own layers are removed", async () => {
    const marker = randomUUID();
    const view = await grade('docker-python-app', python(`FROM python:3.10-slim\nRUN echo ${marker} > /marker\nCOPY . /app\nCMD ["python", "/app/app.py"]\n`));
    expect(check(view, 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(new RegExp(`above the image size limit \\(${IMAGE_MAX_MB} MiB\\)`)) } });
    // no image on the engine comes from the attempt's steps (the base image stays: it is the shared cache)
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
    expect(check(view, 'http-8080')?.evidence).toContain(`the container reached its disk limit (${DISK_MB} MiB written on top of its image)`);
    expect(check(view, 'http-8080')?.evidence).toContain('Disk quota exceeded');
  });

  it('a pull above the image size limit is stopped', async () => {
    // an image in kadai's registry whose layers the engine does not have: 40 MB of random bytes
    const huge = `127.0.0.1:5000/kadai-test/huge:${process.pid}`;
    const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${KADAI_ENGINE_SOCKET}`, DOCKER_BUILDKIT: '0' }, input: args[0] === 'build' ? 'FROM busybox:1.36\nRUN head -c 41943040 /dev/urandom > /blob\n' : undefined, stdio: ['pipe', 'ignore', 'inherit'] });
    docker('build', '-q', '-t', huge, '-');
    docker('push', huge);
    docker('rmi', huge);
    const view = await grade('docker-run-nginx', { 'run.txt': `docker run -d -p 8080:80 ${huge}\n` });
    expect(view.state).toBe('graded');
    expect(check(view, 'running')?.evidence).toMatch(new RegExp(`larger than the image size limit \\(${IMAGE_MAX_MB} MiB\\): its pull was stopped`));
  });
});

describe('a limit that cannot be applied', () => {
  let unsafe: Stack;
  beforeAll(async () => {
    // not a cgroup filesystem: no pids limit can be set for builds
    unsafe = await startStack('docker_unsafe', { redisDb: 13, workers: 1, workerEnv: { KADAI_DOCKER_CGROUP_ROOT: '/tmp' } });
  }, 120_000);
  afterAll(() => unsafe?.stop());

  it('stops grading: readiness false, and a submission is an infrastructure error, never a score', async () => {
    // the worker's start-up check runs beside its start: wait for its word
    let ready = await fetch(`${unsafe.apiUrl}/readyz`);
    for (let i = 0; i < 300 && ready.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await fetch(`${unsafe.apiUrl}/readyz`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ sandbox: expect.stringMatching(/unsafe: worker test-worker-1: sandbox limit not in place: \/tmp is neither a cgroup/) });
    const client = unsafe.client('student1');
    const accepted = await client.submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': 'docker run -d -p 8080:80 nginx\n' } });
    const view = await client.waitForResult(accepted.id, 120_000);
    // no check ran: an infrastructure error (the student sees kadai's notice, not a score)
    expect(view).toMatchObject({ state: 'error', score: null, checks: [] });
    expect(await leftovers(engine, accepted.id)).toEqual([]);
  });
});
