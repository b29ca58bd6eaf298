import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import { randomUUID } from 'node:crypto';
import { leftovers, reap, runsOnEngine } from '@kadai/grader-docker';
import { HOSTILE_COMPOSE, HOSTILE_DOCKERFILES, HOSTILE_RUN_LINES } from './hostile-cases';
import { files, gradeOnce, log, makeLab, rejection, testGrader } from './support';

// Hostile submissions against the real engine, at the grader's level: each is rejected by the
// worker's own validation and grade before anything runs (naming file, line and field; the api
// refuses the same cases first, hostile-api.test.ts), and nothing labelled with its submission id is
// left. What only running shows (fork bombs, memory, CPU, logs, network) is proven through the api and
// the worker in hostile-api.test.ts and limits.test.ts.
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

  it.each(HOSTILE_RUN_LINES)('docker run: %s', async (_name, entries, expected) => {
    const issues = await rejection(grader, runLab([{ type: 'container' }]), files(entries));
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

describe('build contexts', () => {
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
