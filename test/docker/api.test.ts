import { ApiError } from '@kadai/client';
import { createDockerGrader, leftovers } from '@kadai/grader-docker';
import { startStack, type Stack } from '../support/stack';

// Docker submissions through the real api and worker: what the sandbox policy refuses is rejected by
// the api at submission (422, file/line/field, no attempt used); a real attempt is graded with
// ja/en messages and evidence, and leaves nothing labelled on the engine.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('docker_api', { redisDb: 11, workers: 1 });
}, 60_000);
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
