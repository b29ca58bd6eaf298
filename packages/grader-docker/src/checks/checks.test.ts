import { Budget, type Check, type CheckOutcome } from '@kadai/checks';
import pino from 'pino';
import type { DockerfileFacts } from '../dockerfile';

import type { Project, ServiceSpec } from '../model';
import type { Sandbox, ServiceState } from '../sandbox';
import { containerCheck } from './container';
import { imageCheck } from './image';
import { httpCheck } from './http';
import { logsCheck } from './logs';
import { restartCheck } from './restart';
import { startOrderCheck } from './start-order';
import type { DockerCheckContext } from './types';
import { buildCheck } from './build';

/** BuildKit's reading of `FROM golang:1.19 AS b` / `FROM alpine:latest` / `CMD ./app` (as the reference-parsers helper answers). */
const multistage: DockerfileFacts = {
  stages: [
    { line: 1, name: 'b', base: 'golang:1.19', written: 'golang:1.19', fromStage: -1 },
    { line: 2, base: 'alpine:latest', written: 'alpine:latest', fromStage: -1 },
  ],
  sources: [],
  runOptions: [],
  adds: [],
  baseImage: 'alpine:latest',
  cmd: { line: 3, form: 'shell', value: ['./app'] },
};

// Check evaluation against a fake sandbox: what each check concludes from the declared project and
// the engine's answers, without an engine.

const base = { id: 'c', type: 't', title: { ja: 't', en: 't' }, points: 1 };
const spec = (over: Partial<ServiceSpec> & { name: string }): ServiceSpec => ({ env: {}, ports: [], restart: 'no', volumes: [], dependsOn: [], where: { file: 'compose.yaml' }, ...over });

function context(states: ServiceState[], engine: { running?: boolean; oom?: boolean; logs?: string; image?: object } = {}): DockerCheckContext {
  const services = new Map(states.map((s) => [s.spec.name, s]));
  const sandbox = {
    services,
    inspect: async () => ({ State: { Running: engine.running ?? true, Status: engine.running === false ? 'exited' : 'running', OOMKilled: engine.oom ?? false, ExitCode: engine.oom ? 137 : 0 }, RestartCount: 0, HostConfig: { RestartPolicy: { Name: '' } } }),
    logs: async () => engine.logs ?? '',
    imageInfo: async () => engine.image,
    pathsInImage: async (_s: string, paths: string[]) => new Map(paths.map((p) => [p, p.startsWith('/usr/sbin')])),
  } as unknown as Sandbox;
  const budget = Budget.root(60_000, new AbortController().signal);
  const project: Project = { input: 'compose', file: 'compose.yaml', services: states.map((s) => s.spec), volumes: [] };
  return { sandbox, project, dockerfiles: new Map([['web', multistage]]), budget, signal: budget.signal, log: pino({ level: 'silent' }) };
}

/** Parses a check as the lab would hold it and evaluates it. */
const evaluate = (check: Check<DockerCheckContext>, fields: Record<string, unknown>, ctx: DockerCheckContext): Promise<CheckOutcome> => check.prepare({ ...base, ...fields }).run(ctx);

const running = (s: ServiceSpec, startedAt = Date.now() - 5000): ServiceState => ({ spec: s, image: s.image ?? 'x', containerId: 'id', startedAt });

describe('container check', () => {
  it('compares declared ports, restart policy and env, expected vs actual', async () => {
    const web = running(spec({ name: 'web', ports: [{ host: 8000, container: 80, protocol: 'tcp' }], restart: 'always', env: { A: '1' } }));
    const ctx = context([web]);
    const ok = await evaluate(containerCheck, { running: true, restartPolicy: 'always', publishes: [{ host: 8000, container: 80 }], env: { A: '1', B: null } }, ctx);
    expect(ok.status).toBe('fail'); // B is not set
    expect(ok.evidence).toContain('✗ env B: expected (set), actual (not set)');
    expect(ok.evidence).toContain('✓ ports: expected 8000:80, actual 8000:80');
    expect(ok.message.ja).toContain('環境変数 B');
    const bad = await evaluate(containerCheck, { running: false, publishes: [{ host: 8080, container: 80 }] }, ctx);
    expect(bad).toMatchObject({ status: 'fail' });
    expect(bad.evidence).toBe('✗ ports: expected 8080:80, actual 8000:80');
  });
  it('reports an OOM kill as the student failure with the log tail', async () => {
    const ctx = context([running(spec({ name: 'web' }))], { running: false, oom: true, logs: 'allocating...\nKilled' });
    const r = await evaluate(containerCheck, { running: true }, ctx);
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('✗ state: expected running, actual exited (OOM killed)');
    expect(r.evidence).toContain('Killed');
  });
  it('with holdSeconds, fails a container that dies after the first looks; passes one that runs the whole hold', async () => {
    let looks = 0;
    const ctx = context([running(spec({ name: 'web' }), Date.now())]);
    const alive = { State: { Running: true, Status: 'running', OOMKilled: false, ExitCode: 0 }, RestartCount: 0 };
    const dead = { State: { Running: false, Status: 'exited', OOMKilled: true, ExitCode: 137 }, RestartCount: 0 };
    ctx.sandbox.inspect = async () => (++looks > 2 ? dead : alive) as never;
    const r = await evaluate(containerCheck, { running: true, holdSeconds: 4 }, ctx);
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('✗ state: expected running, actual exited (OOM killed)');
    expect(looks).toBe(3);
    expect((await evaluate(containerCheck, { running: true, holdSeconds: 3 }, context([running(spec({ name: 'web' }), Date.now() - 2500)]))).status).toBe('pass');
  });
  it('skips services whose image did not build', async () => {
    const ctx = context([{ spec: spec({ name: 'web', build: { context: '.', dockerfile: 'Dockerfile' } }), build: { ok: false, log: 'step 2 failed', error: 'boom', durationMs: 1 } }]);
    expect((await evaluate(containerCheck, { running: true }, ctx)).status).toBe('skipped');
    const build = await evaluate(buildCheck, {}, ctx);
    expect(build).toMatchObject({ status: 'fail', message: { en: 'docker build failed: boom' } });
    expect(build.evidence).toContain('step 2 failed');
  });
});

describe('image check', () => {
  it('reads base image, stages and CMD form from the Dockerfile and the rest from the image', async () => {
    const web = running(spec({ name: 'web', build: { context: '.', dockerfile: 'Dockerfile' } }));
    const ctx = context([web], { image: { Config: { Cmd: ['/bin/sh', '-c', './app'], ExposedPorts: { '8080/tcp': {} } }, RootFS: { Layers: ['a', 'b'] }, Size: 12_300_000 } });
    const r = await evaluate(imageCheck, { baseImage: 'alpine', minStages: 2, cmdForm: 'exec', exposes: [8080], maxSizeMB: 30, maxLayers: 5, absentPaths: ['/usr/lib/go-1.19'], presentPaths: ['/usr/sbin/nginx'] }, ctx);
    expect(r.status).toBe('fail');
    expect(r.evidence?.split('\n')).toEqual([
      '✓ base image (final FROM): expected alpine, actual alpine:latest',
      '✓ stages (FROM lines): expected >= 2, actual 2',
      '✗ CMD form: expected exec, actual shell (line 3)',
      '✓ EXPOSE: expected [8080], actual [8080]',
      '✓ layers: expected <= 5, actual 2',
      '✓ size: expected <= 30 MB, actual 12.3 MB',
      '✓ absent /usr/lib/go-1.19: expected absent, actual absent',
      '✓ present /usr/sbin/nginx: expected present, actual present',
    ]);
    expect(r.message.en).toBe('Not as required: the form of CMD');
  });
  it('compares the image of a run line, Docker Hub spellings alike', async () => {
    const ctx = context([running(spec({ name: 'run1', image: 'docker.io/library/nginx' }))]);
    expect((await evaluate(imageCheck, { image: ['nginx:latest'] }, ctx)).status).toBe('pass');
    expect((await evaluate(imageCheck, { image: 'httpd' }, ctx)).status).toBe('fail');
  });
});

describe('start-order check', () => {
  it('needs depends_on declared and the dependency started first', async () => {
    const redis = running(spec({ name: 'redis', image: 'redis' }), 1000);
    const ok = context([running(spec({ name: 'web', dependsOn: ['redis'] }), 2000), redis]);
    expect((await evaluate(startOrderCheck, { service: 'web', after: ['redis'] }, ok)).status).toBe('pass');
    const undeclared = context([running(spec({ name: 'web' }), 500), redis]);
    const r = await evaluate(startOrderCheck, { service: 'web', after: ['redis'] }, undeclared);
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('✗ web depends_on redis: expected declared, actual not declared (depends_on: none)');
  });
  it('skips a service whose image did not build', async () => {
    const unbuilt = { spec: spec({ name: 'web', dependsOn: ['redis'], build: { context: '.', dockerfile: 'Dockerfile' } }), build: { ok: false, log: '', error: 'boom', durationMs: 1 } };
    const ctx = context([unbuilt, running(spec({ name: 'redis', image: 'redis' }), 1000)]);
    expect((await evaluate(startOrderCheck, { service: 'web', after: ['redis'] }, ctx)).status).toBe('skipped');
  });
});

describe('probe checks (http, restart)', () => {
  it('fail naming the host port the student did not publish, and skip a service whose image did not build', async () => {
    const ctx = context([running(spec({ name: 'web', ports: [{ host: 8000, container: 80, protocol: 'tcp' }] }))]);
    for (const check of [httpCheck, restartCheck]) {
      const r = await evaluate(check, { hostPort: 8080 }, ctx);
      expect(r).toMatchObject({ status: 'fail', message: { en: 'Host port 8080 is not published.' } });
      expect(r.evidence).toBe('✗ published port: expected 8080:<container port>, actual nothing is published on host port 8080 (published: 8000:80)');
    }
    const unbuilt = context([{ spec: spec({ name: 'web', build: { context: '.', dockerfile: 'Dockerfile' } }), build: { ok: false, log: '', error: 'boom', durationMs: 1 } }]);
    expect((await evaluate(httpCheck, { port: 80 }, unbuilt)).status).toBe('skipped');
    expect((await evaluate(restartCheck, { port: 80 }, unbuilt)).status).toBe('skipped');
  });
});

describe('logs check', () => {
  it('finds a line or shows the log tail', async () => {
    const ctx = context([running(spec({ name: 'web' }))], { logs: 'boot\n"GET / HTTP/1.1" 200 12\n' });
    expect((await evaluate(logsCheck, { contains: '" 200', timeoutSeconds: 1 }, ctx)).status).toBe('pass');
    const r = await evaluate(logsCheck, { matches: '^ready$', timeoutSeconds: 0.5 }, ctx);
    expect(r.status).toBe('fail');
    expect(r.evidence).toContain('boot');
  });
});
