import { ApiError } from '@kadai/client';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, REPO_ROOT, type Stack } from '../support/stack';
import { HOSTILE_COMPOSE, HOSTILE_DOCKERFILES } from './hostile-cases';

// The Compose and Dockerfile policy end to end: the api's validation (compose-go and BuildKit's
// parser in the api's one long-lived helper) refuses each hostile submission at submission with
// file, line and field; what compose-go accepts and docker-compose 1.29 refused is graded by the worker.
let stack: Stack;
beforeAll(async () => {
  // one student sends every hostile case within a minute: more than a student's submission budget
  stack = await startStack('docker_parsers', { redisDb: 12, workers: 1, apiEnv: { KADAI_RATE_STUDENT_SUBMISSIONS: '1000' } });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

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

it.each(HOSTILE_COMPOSE)('the api refuses a Compose file: %s', async (_name, files, expected) => {
  expect((await refusal('docker-compose-counter', files))[0]).toMatch(expected);
});

it.each(HOSTILE_DOCKERFILES)('the api refuses a Dockerfile: %s', async (_name, files, expected) => {
  expect((await refusal('docker-python-app', { ...files, 'app.py': 'print(1)\n', 'requirements.txt': 'flask\n' }))[0]).toMatch(expected);
});

it('grades a Compose v2 file with a top-level name: (docker-compose 1.29 refused it) with full marks', async () => {
  const solution = path.join(REPO_ROOT, 'labs/docker-compose-counter/solution');
  const files = Object.fromEntries(['Dockerfile', 'app.py', 'requirements.txt'].map((f) => [f, readFileSync(path.join(solution, f), 'utf8')]));
  const client = stack.client('student2');
  const accepted = await client.submitJson({ lab: 'docker-compose-counter', files: { ...files, 'compose.yaml': `name: counter\n${readFileSync(path.join(solution, 'compose.yaml'), 'utf8')}` } });
  const view = await client.waitForResult(accepted.id, 240_000);
  expect(view.state).toBe('graded');
  expect(view.checks.map((c) => `${c.checkId} ${c.status}`)).toEqual(view.checks.map((c) => `${c.checkId} pass`));
}, 300_000);
