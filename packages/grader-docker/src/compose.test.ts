import { RejectedInputError } from '@kadai/errors';
import { execFileSync } from 'node:child_process';
import { findComposeFile, normalizeCompose, precheckCompose } from './compose';

const issues = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof RejectedInputError) return error.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.field ?? ''}: ${i.message}`);
    throw error;
  }
  return [];
};

describe('findComposeFile', () => {
  it("follows Compose's own order of default names", () => {
    const files = new Map([['docker-compose.yml', Buffer.from('')], ['compose.yaml', Buffer.from('')]]);
    expect(findComposeFile(files)).toBe('compose.yaml');
    expect(findComposeFile(new Map([['docker-compose.yaml', Buffer.from('')]]))).toBe('docker-compose.yaml');
    expect(findComposeFile(new Map())).toBeUndefined();
  });
});

describe('precheckCompose', () => {
  it('rejects policy violations at their line in the original file', () => {
    const text = 'services:\n  web:\n    image: nginx\n    privileged: true\n    volumes:\n      - /:/host\n  db:\n    image: redis\n    network_mode: host\n';
    expect(issues(() => precheckCompose('compose.yaml', text, 8))).toEqual([
      'compose.yaml:4:17 services.web.privileged: privileged containers are not allowed',
      'compose.yaml:6:9 services.web.volumes.0: bind mounts of host paths are not allowed ("/"); use a named volume',
      "compose.yaml:9:19 services.db.network_mode: network_mode: host is not allowed; services run on the attempt's own network",
    ]);
  });
  it('rejects alias bombs and hundreds of services before any tool reads the file', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'services: {web: {image: nginx, command: *i}}'].join('\n');
    expect(issues(() => precheckCompose('compose.yaml', bomb, 8))[0]).toMatch(/alias/);
    const many = `services:\n${Array.from({ length: 300 }, (_, i) => `  s${i}:\n    image: busybox\n`).join('')}`;
    expect(issues(() => precheckCompose('compose.yaml', many, 8))).toEqual(['compose.yaml:2:3 services: between 1 and 8 services are accepted, found 300']);
  });
  it('rejects YAML syntax errors with their position', () => {
    expect(issues(() => precheckCompose('compose.yaml', 'services:\n  web: [\n', 8))[0]).toMatch(/^compose\.yaml:3:1 /);
  });
});

const hasCompose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasCompose ? describe : describe.skip)('normalizeCompose (docker-compose config)', () => {
  const options = { composeBin: 'docker-compose', timeoutMs: 20_000 };
  it('turns short syntax into kadai services in the order of the file', async () => {
    const text = 'services:\n  web:\n    build: .\n    restart: always\n    ports: ["8000:5000"]\n    depends_on: [redis]\n    environment: [A=1]\n    command: python app.py --name "a b"\n    volumes: [data:/data]\n  redis:\n    image: "redis:alpine"\nvolumes:\n  data: {}\n';
    const files = new Map([['compose.yaml', Buffer.from(text)], ['Dockerfile', Buffer.from('FROM python:3.10-slim\n')]]);
    const project = await normalizeCompose('compose.yaml', files, precheckCompose('compose.yaml', text, 8), options);
    expect(project.services.map((s) => s.name)).toEqual(['web', 'redis']);
    expect(project.services[0]).toMatchObject({
      build: { context: '.', dockerfile: 'Dockerfile' },
      restart: 'always',
      ports: [{ host: 8000, container: 5000, protocol: 'tcp' }],
      dependsOn: ['redis'],
      env: { A: '1' },
      command: ['python', 'app.py', '--name', 'a b'],
      volumes: [{ volume: 'data', target: '/data', readOnly: false }],
      where: { file: 'compose.yaml', line: 3 },
    });
    expect(project.volumes).toEqual(['data']);
  });
  it('keeps $VAR of a string command for the container, and passes build args and target', async () => {
    const text = 'services:\n  web:\n    build:\n      context: .\n      args: {GREETING: hi}\n      target: final\n    command: sh -c "echo $$HOME && sleep 1"\n    container_name: my-web\n    networks:\n      default:\n        aliases: [www]\n';
    const files = new Map([['compose.yaml', Buffer.from(text)], ['Dockerfile', Buffer.from('FROM busybox AS final\n')]]);
    const [web] = (await normalizeCompose('compose.yaml', files, precheckCompose('compose.yaml', text, 8), options)).services;
    expect(web?.command).toEqual(['sh', '-c', 'echo $HOME && sleep 1']);
    expect(web?.aliases).toEqual(['my-web', 'www']);
    expect(web?.build).toEqual({ context: '.', dockerfile: 'Dockerfile', args: { GREETING: 'hi' }, target: 'final' });
  });
  it("reports Compose's own validation errors as a rejection", async () => {
    const text = 'services:\n  web:\n    image: nginx\n    ports: 8080\n';
    const files = new Map([['compose.yaml', Buffer.from(text)]]);
    await expect(normalizeCompose('compose.yaml', files, precheckCompose('compose.yaml', text, 8), options)).rejects.toBeInstanceOf(RejectedInputError);
  });
  it('does not interpolate the worker environment', async () => {
    const text = 'services:\n  web:\n    image: nginx\n    environment:\n      SECRET: ${HOME}-${KADAI_DATABASE_URL:-none}\n';
    const files = new Map([['compose.yaml', Buffer.from(text)]]);
    const project = await normalizeCompose('compose.yaml', files, precheckCompose('compose.yaml', text, 8), options);
    expect(project.services[0]?.env.SECRET).not.toContain('postgres');
  });
});
