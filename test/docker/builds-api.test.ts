import { ApiError } from '@kadai/client';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from '../support/stack';
import { startFailingMirror } from './test-mirror';

// Builds through the real api and worker: a correct Compose lab with a pinned flask installs it from
// the real index through kadai's package mirror and scores full marks; the same submission while the
// index is down upstream ends `error` after the worker's retries, never a score; a remote ADD is
// refused at submission with file and line.
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

  it('ADD of a URL is rejected at submission naming the Dockerfile line; no attempt is used', async () => {
    const files = { ...solution('docker-python-app'), Dockerfile: 'FROM python:3.10-slim\nADD http://127.0.0.1:5000/v2/_catalog /catalog\n' };
    const error = await stack.client('student2').submitJson({ lab: 'docker-python-app', files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.status).toBe(422);
    expect(JSON.stringify((error as ApiError).problem)).toMatch(/Dockerfile:2.*downloading during a build is not allowed/);
  });
});

it('the index down upstream during the build: `error` after the retries, not a failed check', async () => {
  const mirror = await startFailingMirror();
  const stack = await startStack('docker_builds_down', { redisDb: 13, workers: 1, workerEnv: { ...mirror.workerEnv, KADAI_RETRY_ATTEMPTS: '2', KADAI_RETRY_BACKOFF_MS: '500' } });
  try {
    const client = stack.client('student1');
    // a requirements file of its own, so the engine's layer cache cannot answer the pip step
    const files = { ...pinned, 'requirements.txt': `${pinned['requirements.txt']}# ${randomUUID()}\n` };
    const accepted = await client.submitJson({ lab: 'docker-compose-counter', files });
    const view = await client.waitForResult(accepted.id, 300_000);
    expect(view).toMatchObject({ state: 'error', score: null });
    // students see kadai's failure in their words; the cause (the mirror's record) is in the worker's log
    expect(view.error).toMatch(/problem on kadai's side/);
  } finally {
    await stack.stop();
    await mirror.close();
  }
});
