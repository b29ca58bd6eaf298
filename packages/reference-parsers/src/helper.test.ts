import { InfrastructureError, RejectedInputError } from '@kadai/errors';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryPath, ParseError, ReferenceParsers } from './index';

// The real Go helper (built by jest's globalSetup); fakes only stand in for a helper that hangs.
const limits = { timeoutMs: 10_000, maxRequestBytes: 1 << 20 };
let parsers: ReferenceParsers;
beforeEach(() => {
  parsers = new ReferenceParsers({ ...limits, binary: binaryPath() });
});
afterEach(() => parsers.close());

it('normalizes Compose with compose-go: merge keys expanded, short syntax made long, a top-level name accepted', async () => {
  const text = 'name: my-app\nx-base: &base\n  restart: always\nservices:\n  web:\n    <<: *base\n    build: .\n    ports: ["8000:5000"]\n    command: python app.py --name "a b"\n';
  const { project } = await parsers.compose('compose.yaml', { 'compose.yaml': text });
  expect(project.name).toBe('kadai');
  expect(project.services?.web).toMatchObject({ restart: 'always', build: { context: '.', dockerfile: 'Dockerfile' }, ports: [{ target: 5000, published: '8000', protocol: 'tcp' }], command: ['python', 'app.py', '--name', 'a b'] });
});

it('answers concurrent requests by id', async () => {
  const answers = await Promise.all(['alpine', 'busybox', 'nginx'].map((image) => parsers.dockerfile('Dockerfile', `FROM ${image}\n`)));
  expect(answers.map((a) => a.baseImage)).toEqual(['alpine', 'busybox', 'nginx']);
  expect(parsers.landlock).toBeGreaterThanOrEqual(0);
});

it('rejects what the loader refuses as a ParseError naming the file and the field', async () => {
  const error = await parsers.compose('compose.yaml', { 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: 8080\n' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ParseError);
  expect(error).toBeInstanceOf(RejectedInputError);
  expect((error as ParseError).path).toEqual(['services', 'web', 'ports']);
  expect((error as ParseError).issues[0]).toMatchObject({ file: 'compose.yaml', field: 'services.web.ports' });
  const dockerfile = await parsers.dockerfile('app/Dockerfile', 'FROM alpine\nCOPY --frm=x a b\n').catch((e: unknown) => e);
  expect((dockerfile as ParseError).issues[0]).toMatchObject({ file: 'app/Dockerfile', line: 2 });
});

it('starts a new helper after the old one dies, failing only the requests it had', async () => {
  await parsers.dockerfile('Dockerfile', 'FROM alpine\n');
  const first = parsers.pid!;
  process.kill(first, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect((await parsers.dockerfile('Dockerfile', 'FROM busybox\n')).baseImage).toBe('busybox');
  expect(parsers.pid).not.toBe(first);
});

it('refuses a request over the size limit as too large, without sending it', async () => {
  const error = await parsers.compose('compose.yaml', { 'compose.yaml': 'x'.repeat(2 << 20) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RejectedInputError);
  expect((error as RejectedInputError).status).toBe(413);
});

it('a missing binary is a non-retryable infrastructure error that says how to build it', async () => {
  const missing = new ReferenceParsers({ ...limits, binary: '/nonexistent/kadai-parsers' });
  const error = await missing.dockerfile('Dockerfile', 'FROM alpine\n').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InfrastructureError);
  expect((error as InfrastructureError).retryable).toBe(false);
  expect((error as Error).message).toMatch(/infra\/reference-parsers\/build/);
});

it('a helper that does not answer in time fails the request as retryable and is replaced', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kadai-parsers-test-'));
  const silent = path.join(dir, 'silent');
  await writeFile(silent, '#!/bin/sh\nexec sleep 60\n');
  await chmod(silent, 0o755);
  const stuck = new ReferenceParsers({ ...limits, timeoutMs: 300, binary: silent });
  const error = await stuck.dockerfile('Dockerfile', 'FROM alpine\n').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InfrastructureError);
  expect((error as InfrastructureError).retryable).toBe(true);
  expect(stuck.pid).toBeUndefined();
  stuck.close();
});

it('the death of a replaced helper does not fail the requests of its successor', async () => {
  await parsers.dockerfile('Dockerfile', 'FROM alpine\n');
  const old = parsers.pid!;
  // What a timeout does: forget the helper, then kill it; a request meanwhile goes to a new one.
  const replaced = parsers as unknown as { child: unknown };
  replaced.child = undefined;
  const answer = parsers.compose('compose.yaml', { 'compose.yaml': 'services: {web: {image: nginx}}\n' });
  process.kill(old, 'SIGKILL');
  expect((await answer).project.services?.web?.image).toBe('nginx');
});
