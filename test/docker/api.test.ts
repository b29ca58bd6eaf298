import { ApiError } from '@kadai/client';
import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';

// Docker submissions through the real api and worker: what the sandbox policy refuses is rejected by
// the api at submission (422, file/line/field, no attempt used); a real attempt is graded with
// ja/en messages and evidence, and leaves nothing labelled on the engine.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_api', { redisDb: 11, workers: 1 });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const compose = (text: string) => ({ 'compose.yaml': text, Dockerfile: 'FROM python:3.10-slim\n', 'app.py': 'print(1)\n', 'requirements.txt': 'flask\n' });

it('rejects a privileged Compose service at submission, naming file, line and field', async () => {
  const client = stack.client('student1');
  const error = await client
    .submitJson({ lab: 'docker-compose-counter', files: compose('services:\n  web:\n    build: .\n    privileged: true\n  redis:\n    image: redis:alpine\n') })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  const problem = (error as ApiError).problem;
  expect(problem.status).toBe(422);
  expect(JSON.stringify(problem)).toMatch(/compose\.yaml:4:\d+.*privileged containers are not allowed/);
});

it('rejects a run line with a Docker socket mount at submission', async () => {
  const error = await stack
    .client('student1')
    .submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': 'docker run -d -p 8080:80 -v /var/run/docker.sock:/var/run/docker.sock nginx\n' } })
    .catch((e: unknown) => e);
  expect((error as ApiError).problem.status).toBe(422);
  expect(JSON.stringify((error as ApiError).problem)).toMatch(/run\.txt:1.*mounting the Docker socket is not allowed/);
});

it('grades a run line end to end and leaves nothing behind', async () => {
  const client = stack.client('student2');
  const accepted = await client.submitJson({ lab: 'docker-run-nginx', files: { 'run.txt': 'docker run -d -p 8000:80 nginx\n' } });
  const view = await client.waitForResult(accepted.id, 120_000);
  expect(view.state).toBe('graded');
  const port = view.checks.find((c) => c.checkId === 'port-8080');
  expect(port).toMatchObject({ status: 'fail', message: { ja: expect.stringContaining('ポート'), en: expect.stringContaining('published ports') } });
  expect(port?.evidence).toBe('✗ ports: expected 8080:80, actual 8000:80');
  expect(await leftovers(createDockerGrader().docker, accepted.id)).toEqual([]);
}, 150_000);

describe('DEMO-1.2 multi-stage Go build on the golang and alpine stand-ins', () => {
  const lab = path.join(REPO_ROOT, 'labs/docker-multistage-go');
  const handIn = (dockerfile: string) => ({
    Dockerfile: readFileSync(dockerfile, 'utf8'),
    'main.go': readFileSync(path.join(lab, 'solution/main.go'), 'utf8'),
    'go.mod': readFileSync(path.join(lab, 'solution/go.mod'), 'utf8'),
  });

  it("as the course prints it (cgo on) builds, but its glibc binary cannot start on alpine's musl", async () => {
    const client = stack.client('student1');
    const accepted = await client.submitJson({ lab: 'docker-multistage-go', files: handIn(path.join(lab, 'wrong/course-cgo-on-alpine/Dockerfile')) });
    const view = await client.waitForResult(accepted.id, 400_000);
    expect(view.state).toBe('graded');
    const status = Object.fromEntries(view.checks.map((c) => [c.checkId, c.status]));
    expect(status).toMatchObject({ builds: 'pass', 'multi-stage': 'pass', 'no-toolchain': 'pass', 'small-image': 'pass', 'serves-hello': 'fail' });
    // the reason is the loader: exec of ./myapp finds no /lib64/ld-linux-x86-64.so.2 on musl
    expect(view.checks.find((c) => c.checkId === 'serves-hello')?.evidence).toMatch(/exec \S*myapp: no such file or directory/);
  }, 420_000);

  it('with CGO_ENABLED=0 (the lab solution) the static binary answers on alpine', async () => {
    const client = stack.client('student2');
    const accepted = await client.submitJson({ lab: 'docker-multistage-go', files: handIn(path.join(lab, 'solution/Dockerfile')) });
    const view = await client.waitForResult(accepted.id, 400_000);
    expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
    expect(view.checks.find((c) => c.checkId === 'serves-hello')?.evidence).toContain('Hello from Go!');
  }, 420_000);
});
