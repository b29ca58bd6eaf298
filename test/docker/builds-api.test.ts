import { ApiError } from '@kadai/client';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../support/stack';
import { startFailingMirror, type TestMirror } from './test-mirror';

// Builds through the real api and worker: a correct Compose lab with a pinned flask installs it from
// the real index through kadai's package mirror and scores full marks, and so does a Go build that
// downloads a module from the Go proxy through it; the same submission while the
// index is down upstream ends `error` after the worker's retries, never a score, and another build
// failing for its own reason at the same time is that student's failed check; a package name the
// index fails on by itself while it is up is the student's failed check too (the worker's own
// requests through the mirror find no outage), one it never answers is kadai's `error`, even when
// the build runs out of its time waiting for it; a remote ADD is refused at submission with file and line.
jest.setTimeout(400_000);

const solution = (lab: string) => {
  const dir = path.join(__dirname, '..', '..', 'labs', lab, 'solution');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
};
const pinned = { ...solution('docker-compose-counter'), 'requirements.txt': 'flask==3.0.3\nredis==5.0.8\n' };

describe('with kadai\'s package mirror', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('docker_builds', { redisDb: 12, workers: 1 });
  }, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
  afterAll(() => stack?.stop());

  it('a Compose lab pinning flask==3.0.3 installs it through the mirror and scores full marks', async () => {
    const client = stack.client('student1');
    const accepted = await client.submitJson({ lab: 'docker-compose-counter', files: pinned });
    const view = await client.waitForResult(accepted.id, 300_000);
    expect(view.checks.filter((c) => c.status !== 'pass').map((c) => `${c.checkId}: ${c.evidence ?? ''}`)).toEqual([]);
    expect(view).toMatchObject({ state: 'graded' });
    expect(view.score).toBe(view.maxScore);
  });

  it('a Go module from the Go proxy (golang.org/x/text, go mod tidy with its checksum database) builds through the mirror: the multi-stage lab scores full marks', async () => {
    const go = solution('docker-multistage-go');
    const files = {
      ...go,
      'go.mod': 'module example.com/myapp\n\ngo 1.19\n\nrequire golang.org/x/text v0.14.0\n',
      // a language tag from x/text in the answer; the comment makes the build's steps run afresh
      'main.go': go['main.go']!.replace('"net/http"', '"net/http"\n\n\t"golang.org/x/text/language"').replace('"Hello from Go!")', `"Hello from Go!", language.Japanese) // ${randomUUID()}`),
      Dockerfile: go['Dockerfile']!.replace('RUN CGO_ENABLED=0 go build', 'RUN go mod tidy && CGO_ENABLED=0 go build'),
    };
    expect(files.Dockerfile).toContain('go mod tidy');
    const client = stack.client('student2');
    const view = await client.waitForResult((await client.submitJson({ lab: 'docker-multistage-go', files })).id, 300_000);
    expect(view.checks.filter((c) => c.status !== 'pass').map((c) => `${c.checkId}: ${c.evidence ?? ''}`)).toEqual([]);
    expect(view.checks.find((c) => c.checkId === 'serves-hello')?.evidence).toContain('Hello from Go! ja');
    expect(view.score).toBe(view.maxScore);
  });

  it('ADD of a URL is rejected at submission naming the Dockerfile line; no attempt is used', async () => {
    const files = { ...solution('docker-python-app'), Dockerfile: 'FROM python:3.10-slim\nADD http://127.0.0.1:5000/v2/_catalog /catalog\n' };
    const error = await stack.client('student2').submitJson({ lab: 'docker-python-app', files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.status).toBe(422);
    expect(JSON.stringify((error as ApiError).problem)).toMatch(/Dockerfile:2.*downloading during a build is not allowed/);
  });
});

it('the index down upstream for one build while another fails for its own reason: the first ends `error` after the retries, the second a failed check', async () => {
  const missing = 'kadai-no-such-package';
  const mirror = await startFailingMirror({ missing: [missing] });
  const stack = await startStack('docker_builds_down', { redisDb: 13, workers: 2, workerEnv: { ...mirror.workerEnv, KADAI_RETRY_ATTEMPTS: '2', KADAI_RETRY_BACKOFF_MS: '500' } });
  try {
    const since = Date.now();
    // requirements of their own, so BuildKit's layer cache cannot answer the pip steps; the
    // misspelt build's sleep keeps it running while the other build meets the outage (asserted below)
    const down = { ...pinned, 'requirements.txt': `${pinned['requirements.txt']}# ${randomUUID()}\n` };
    const misspelt = {
      ...pinned,
      'requirements.txt': `${missing}==1.0\n# ${randomUUID()}\n`,
      Dockerfile: solution('docker-compose-counter')['Dockerfile']!.replace('RUN pip install', 'RUN sleep 40 && pip install'),
    };
    const grade = async (student: 'student1' | 'student2', files: Record<string, string>) => {
      const client = stack.client(student);
      return client.waitForResult((await client.submitJson({ lab: 'docker-compose-counter', files })).id, 300_000);
    };
    const [downView, misspeltView] = await Promise.all([grade('student1', down), grade('student2', misspelt)]);
    expect(downView).toMatchObject({ state: 'error', score: null });
    // students see kadai's failure in their words; the cause (the mirror's record) is in the worker's log
    expect(downView.error).toMatch(/problem on kadai's side/);
    // the outage was recorded before the misspelt build was judged (its 40 s sleep keeps it running
    // while the other build fails; a bound from the test's start flaked when preparing took long) …
    expect(mirror.failures(since).filter((f) => f.at < Date.parse(misspeltView.finishedAt ?? '')).length).toBeGreaterThan(0);
    // … and is not that build's: its pip found no such package, the student's failed build
    expect(misspeltView.state).toBe('graded');
    expect(misspeltView.checks.find((c) => c.checkId === 'builds')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(new RegExp(`${missing}|No matching distribution`)) });
  } finally {
    await stack.stop();
    await mirror.close();
  }
}, 800_000); // a stack of two workers starts (up to 180 s each) before the two builds and the retries

describe('the index up, failing some names by itself', () => {
  const [broken, silent, dropped, hung] = ['sbnet-broken-package', 'sbdisk-silent-package', 'sbdisk-dropped-package', 'sbdisk-hung-package'];
  // a lab whose build gets ~24 s (40 s, less the share kept for starting and checking): pip waiting on a
  // name the index never answers runs it out of time before pip gives up
  const shortLab = 'sbdisk-short-build';
  let mirror: TestMirror;
  let stack: Stack;
  let labsDir: string;
  beforeAll(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'kadai-builds-labs-'));
    cpSync(path.join(__dirname, '..', '..', 'labs', 'docker-compose-counter'), path.join(labsDir, 'docker-compose-counter'), { recursive: true });
    mkdirSync(path.join(labsDir, shortLab, 'solution'), { recursive: true });
    writeFileSync(path.join(labsDir, shortLab, 'solution', 'Dockerfile'), 'FROM python:3.10-slim\n');
    const title = `{ ja: "${shortLab}", en: "${shortLab}" }`;
    writeFileSync(
      path.join(labsDir, shortLab, 'lab.yaml'),
      `id: ${shortLab}\nkind: docker\nchapter: 0\ntitle: ${title}\ninstructions: ${title}\ntimeLimitSeconds: 40\nsubmission: { maxBytes: 65536, files: [] }\ndocker: { input: build }\nchecks:\n  - { id: builds, type: build, title: ${title}, points: 1 }\n`,
    );
    mirror = await startFailingMirror({ broken: [broken], silent: [silent, hung], dropped: [dropped] });
    stack = await startStack('docker_builds_broken', { redisDb: 13, workers: 1, labsDir, workerEnv: { ...mirror.workerEnv, KADAI_RETRY_ATTEMPTS: '2', KADAI_RETRY_BACKOFF_MS: '500' } });
  }, 300_000); // a stack starts (up to 180 s)
  afterAll(async () => {
    await stack?.stop();
    await mirror?.close();
    if (labsDir) rmSync(labsDir, { recursive: true, force: true });
  });

  /** The Compose lab with a requirements.txt naming only `name` (its own, so no cached pip step answers it). */
  const grade = async (student: 'student1' | 'student2', name: string) => {
    const client = stack.client(student);
    const files = { ...pinned, 'requirements.txt': `${name}==1.0\n# ${randomUUID()}\n` };
    return client.waitForResult((await client.submitJson({ lab: 'docker-compose-counter', files })).id, 300_000);
  };

  it("a name the index answers 500 for: the worker's own requests find no outage, the student's failed check", async () => {
    const since = Date.now();
    const view = await grade('student1', broken);
    // the index's 500 was recorded against the build (which the earlier code took for kadai's outage) …
    expect(mirror.failures(since).filter((f) => f.status === 500 && f.url.includes(broken)).length).toBeGreaterThan(0);
    // … but the index answered the worker's probe and failed the same request again: the student's
    expect([view.state, view.error ?? null]).toEqual(['graded', null]);
    expect(view.checks.find((c) => c.checkId === 'builds')).toMatchObject({ status: 'fail', evidence: expect.stringContaining(broken) });
  });

  it('a name the index never answers, or drops the connection for, while its probe answers: no upstream status is kadai\'s — `error` after the retries, never a score', async () => {
    const since = Date.now();
    const [silentView, droppedView] = await Promise.all([grade('student1', silent), grade('student2', dropped)]);
    for (const [name, view] of [[silent, silentView], [dropped, droppedView]] as const) {
      expect({ name, state: view.state, score: view.score }).toEqual({ name, state: 'error', score: null });
      expect(view.error).toMatch(/problem on kadai's side/);
      // what decided it: the mirror's record of the build's request, with no upstream status (the build log is never read)
      const recorded = mirror.failures(since).filter((f) => f.url.includes(name));
      expect(recorded.length).toBeGreaterThan(0);
      expect(recorded.filter((f) => f.status !== undefined)).toEqual([]);
    }
    expect(mirror.failures(since).find((f) => f.url.includes(silent))?.error).toMatch(/no answer from upstream for \d+ ms/);
    // the same build with the index answering (broken's 500, above) stays the student's: the difference is the status alone
  });

  it('a build that runs out of its time waiting on a name the index never answers is kadai\'s `error` after the retries; one out of time on its own is the student\'s', async () => {
    const since = Date.now();
    const submit = async (student: 'student1' | 'student2', run: string) => {
      const client = stack.client(student);
      return client.waitForResult((await client.submitJson({ lab: shortLab, files: { Dockerfile: `FROM python:3.10-slim\nRUN ${run} # ${randomUUID()}\n` } })).id, 300_000);
    };
    // the build asks again whenever pip gives up (each ask ends in the mirror's 5 s, a 502): it can only
    // end by running out of time, so the time limit, not a failed step, ends it
    const [hungView, slowView] = await Promise.all([submit('student1', `until pip install ${hung}==1.0; do sleep 1; done`), submit('student2', 'sleep 300')]);
    expect({ state: hungView.state, score: hungView.score }).toEqual({ state: 'error', score: null });
    expect(hungView.error).toMatch(/problem on kadai's side/);
    // every attempt ran its build out of time (~24 s; pip alone gives up within 6 s): the overrun path decided
    const attempts = stack
      .logOf('test-worker-1')
      .split('\n')
      .filter((line) => line.includes(hungView.id) && line.includes('"docker attempt done"'))
      .map((line) => (JSON.parse(line) as { stepMs: { build: number } }).stepMs.build);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.filter((ms) => ms < 20_000)).toEqual([]);
    // what decided it: the mirror's record of the build's requests, with no upstream status
    const recorded = mirror.failures(since).filter((f) => f.url.includes(hung));
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.filter((f) => f.status !== undefined)).toEqual([]);
    // the same budget used up with nothing recorded against the build: the time limit, the student's
    expect([slowView.state, slowView.error ?? null, slowView.score]).toEqual(['graded', null, 0]);
    expect(slowView.checks.find((c) => c.checkId === 'builds')).toMatchObject({ status: 'fail', message: { en: expect.stringMatching(/^The build did not finish within \d+ s of the attempt's 40 s budget\.$/) } });
  });
});
