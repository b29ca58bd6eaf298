import { InfrastructureError } from '@kadai/errors';
import { BUILD_BRIDGE } from '@kadai/grader-docker';
import { createNetnsTarget, type NetnsTarget } from './netns';
import { files, gradeOnce, makeLab, rejection, testGrader } from './support';
import { startFailingMirror } from './test-mirror';

// What a build may reach and fetch, on the real engine: the firewall that keeps builds to the package
// mirror stays in place (a network namespace made here stands in for the LAN; what a RUN step reaches
// is proven through the api in hostile-api.test.ts), no remote ADD, images only from kadai's
// registry; and whose failure a failed build is, decided from kadai's own records.
jest.setTimeout(300_000);
const grader = testGrader();
const buildLab = makeLab({ input: 'build', ports: [80] }, [{ type: 'build' }]);

let target: NetnsTarget;
beforeAll(async () => {
  target = await createNetnsTarget();
}, 60_000);
afterAll(() => target?.close());

describe('build egress', () => {
  it('control: the netns target answers a container outside the build network', async () => {
    const c = await grader.docker.createContainer({ Image: 'busybox:1.36', Cmd: ['wget', '-T', '5', '-q', '-O-', `http://${target.v4}:${target.port}/`], HostConfig: { NetworkMode: 'bridge' } });
    try {
      await c.start();
      await c.wait();
      const out = (await c.logs({ stdout: true, stderr: true })).toString();
      expect(out).toContain(target.marker);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('a removed firewall rule is put back before the next build', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('iptables', ['-w', '10', '-D', 'FORWARD', '-i', BUILD_BRIDGE, '-j', 'DROP']);
    const dockerfile = `FROM busybox:1.36\nRUN unset http_proxy HTTP_PROXY; if wget -T 3 -q -O- http://${target.v4}:${target.port}/ | grep -q ${target.marker}; then exit 7; fi\n`;
    const { results, error } = await gradeOnce(grader, buildLab, files({ Dockerfile: dockerfile }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('pass');
    expect(execFileSync('iptables', ['-S', 'FORWARD']).toString()).toContain(`-A FORWARD -i ${BUILD_BRIDGE} -j DROP`);
  });
});

describe('what a build may fetch', () => {
  it('ADD of a URL is refused before anything runs, naming file and line (the builder would fetch it from the host)', async () => {
    const cases = [
      'ADD http://127.0.0.1:5000/v2/_catalog /catalog',
      'ADD --chown=1:1 https://169.254.169.254/latest/meta-data/ /m',
      'ADD ["http://10.0.0.1/x", "/x"]',
      'ADD git@example.com:me/repo.git /src',
    ];
    for (const line of cases) {
      expect(await rejection(grader, buildLab, files({ Dockerfile: `FROM busybox:1.36\n${line}\n` }))).toEqual([expect.stringMatching(/^Dockerfile:2 ADD: ADD \S+: downloading during a build is not allowed/)]);
    }
    expect(await rejection(grader, buildLab, files({ Dockerfile: 'FROM busybox:1.36\nADD site.tar /srv/\n', 'site.tar': '' }))).toEqual([]);
  });

  it("an ADD whose URL only the build knows (ARG) is denied by BuildKit's source policy: the student's failed build", async () => {
    const dockerfile = `FROM busybox:1.36\nARG U=http://127.0.0.1:5000/v2/_catalog\nADD \${U} /catalog\n`;
    const { results, error, left } = await gradeOnce(grader, buildLab, files({ Dockerfile: dockerfile }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(results?.[0]?.evidence).toMatch(/source "http:\/\/127\.0\.0\.1:5000\/v2\/_catalog" denied by policy/);
    expect(left).toEqual([]);
  });

  it('FROM or COPY --from an image kadai does not provide fails the build without pulling it', async () => {
    for (const dockerfile of ['FROM evil.example.com/x:1\n', 'FROM busybox:1.36\nCOPY --from=evil.example.com/y:2 /bin/sh /sh\n', 'ARG R=evil.example.com/z\nFROM ${R}:3\n']) {
      const { results, error, left } = await gradeOnce(grader, buildLab, files({ Dockerfile: dockerfile }));
      expect(error).toBeUndefined();
      expect(results?.[0]).toMatchObject({ status: 'fail' });
      expect(results?.[0]?.evidence).toMatch(/Dockerfile:\d+: the image evil\.example\.com\/\w+:\d is not one this course's environment provides/);
      expect(left).toEqual([]);
    }
  });
});

describe('whose failure a failed build is', () => {
  it("a RUN step exiting non-zero is the student's failed check, with the step's message", async () => {
    const { results, error } = await gradeOnce(grader, buildLab, files({ Dockerfile: 'FROM busybox:1.36\nRUN echo compiling && exit 3\n' }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(results?.[0]?.evidence).toMatch(/process "\/bin\/sh -c echo compiling && exit 3" did not complete successfully: exit code: 3/);
  });

  it('a pip install that fails because the index is down upstream is a retryable infrastructure error', async () => {
    const mirror = await startFailingMirror();
    try {
      const failing = testGrader(mirror.options);
      const { error, left } = await gradeOnce(failing, buildLab, files({ Dockerfile: 'FROM python:3.10-slim\nRUN pip install flask==3.0.3\n' }));
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as InfrastructureError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/could not fetch from upstream during the build: \S+ answered 503/);
      expect(left).toEqual([]);
      // the mirror stopped: nothing answers the build, nor the grader's question afterwards
      await mirror.stop();
      const stopped = await gradeOnce(failing, buildLab, files({ Dockerfile: 'FROM python:3.10-slim\nRUN pip install flask==3.0.3\n' }));
      expect(stopped.error).toBeInstanceOf(InfrastructureError);
      expect((stopped.error as Error).message).toMatch(/package mirror at \S+ is unreachable/);
    } finally {
      await mirror.close();
    }
  });

  it("a package that does not exist upstream stays the student's failure", async () => {
    const { results, error } = await gradeOnce(grader, buildLab, files({ Dockerfile: 'FROM python:3.10-slim\nRUN pip install kadai-no-such-package-4f9c2==1.0\n' }));
    expect(error).toBeUndefined();
    expect(results?.[0]?.status).toBe('fail');
    expect(results?.[0]?.evidence).toMatch(/No matching distribution found for kadai-no-such-package-4f9c2/);
  });
});
