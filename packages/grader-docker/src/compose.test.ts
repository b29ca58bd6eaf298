import { RejectedInputError } from '@kadai/errors';
import { binaryPath, ReferenceParsers } from '@kadai/reference-parsers';
import { findComposeFile, locateField, normalizeCompose, readComposeText } from './compose';

// normalizeCompose with the real reference-parsers helper (compose-go), built by jest's globalSetup.
const parsers = new ReferenceParsers({ binary: binaryPath(), timeoutMs: 10_000, maxRequestBytes: 1 << 20 });
afterAll(() => parsers.close());

const normalize = (text: string, extra: Record<string, string> = {}) => {
  const files = new Map(Object.entries({ 'compose.yaml': text, ...extra }).map(([k, v]) => [k, Buffer.from(v)]));
  return normalizeCompose(parsers, readComposeText('compose.yaml', text), files, 8);
};
const issues = async (text: string, extra: Record<string, string> = {}): Promise<string[]> => {
  try {
    await normalize(text, extra);
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

describe('readComposeText', () => {
  it('rejects YAML syntax errors with their position, and alias bombs, before the loader sees the file', () => {
    expect(() => readComposeText('compose.yaml', 'services:\n  web: [\n')).toThrow(RejectedInputError);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'services: {web: {image: nginx, command: *i}}'].join('\n');
    expect(() => readComposeText('compose.yaml', bomb)).toThrow(/aliases/);
  });
  it('locates a field through merge keys, where the anchor writes it', () => {
    const text = readComposeText('compose.yaml', 'x-a: &a\n  privileged: true\nx-b: &b\n  ipc: host\nservices:\n  web:\n    <<: [*a, *b]\n    image: nginx\n');
    expect(locateField(text, ['services', 'web', 'privileged'])).toEqual({ line: 2, column: 15 });
    expect(locateField(text, ['services', 'web', 'ipc'])).toEqual({ line: 4, column: 8 });
    expect(locateField(text, ['services', 'web', 'image'])).toEqual({ line: 8, column: 12 });
    expect(locateField(text, ['services', 'web', 'nothing'])).toEqual({ line: 7, column: 5 });
  });
});

describe('normalizeCompose (compose-go)', () => {
  it('turns short syntax into kadai services in the order of the file', async () => {
    const text = 'name: counter\nservices:\n  web:\n    build: .\n    restart: always\n    ports: ["8000:5000"]\n    depends_on: [redis]\n    environment: [A=1]\n    command: python app.py --name "a b"\n    volumes: [data:/data]\n  redis:\n    image: "redis:alpine"\nvolumes:\n  data: {}\n';
    const project = await normalize(text);
    expect(project.services.map((s) => s.name)).toEqual(['web', 'redis']);
    expect(project.services[0]).toMatchObject({
      build: { context: '.', dockerfile: 'Dockerfile' },
      restart: 'always',
      ports: [{ host: 8000, container: 5000, protocol: 'tcp' }],
      dependsOn: ['redis'],
      env: { A: '1' },
      command: ['python', 'app.py', '--name', 'a b'],
      volumes: [{ volume: 'data', target: '/data', readOnly: false }],
      where: { file: 'compose.yaml', line: 4 },
    });
    expect(project.volumes).toEqual(['data']);
  });
  it('keeps $$ as a literal $ for the container, and passes build args, target, folders and aliases', async () => {
    const text = 'services:\n  web:\n    build:\n      context: ./app/\n      args: {GREETING: hi}\n      target: final\n    command: sh -c "echo $$HOME && sleep 1"\n    container_name: my-web\n    networks:\n      default:\n        aliases: [www]\n';
    const [web] = (await normalize(text)).services;
    expect(web?.command).toEqual(['sh', '-c', 'echo $HOME && sleep 1']);
    expect(web?.aliases).toEqual(['my-web', 'www']);
    expect(web?.build).toEqual({ context: 'app', dockerfile: 'Dockerfile', args: { GREETING: 'hi' }, target: 'final' });
  });
  it("reports compose-go's validation errors at the field", async () => {
    expect(await issues('services:\n  web:\n    image: nginx\n    ports: 8080\n')).toEqual([expect.stringMatching(/^compose\.yaml:4:12 services\.web\.ports: /)]);
  });
  it('refuses what only appears after merging, at the line the anchor holds it', async () => {
    expect(await issues('x-evil: &evil\n  privileged: true\n  env_file: .env.web\nservices:\n  web:\n    <<: *evil\n    image: nginx\n', { '.env.web': 'A=1\n' })).toEqual([
      'compose.yaml:2:15 services.web.privileged: privileged containers are not allowed',
    ]);
    expect(await issues('x-evil: &evil\n  env_file: /etc/hostname\nservices:\n  web:\n    <<: *evil\n    image: nginx\n')).toEqual([
      'compose.yaml:2:13 services.web.env_file.0: env_file /etc/hostname is outside the submission',
    ]);
  });
  it('gets no variable from the environment of the process', async () => {
    process.env.KADAI_TEST_SECRET = 'leaked';
    const text = 'services:\n  web:\n    image: nginx\n    environment:\n      SECRET: ${KADAI_TEST_SECRET:-none}-${HOME}\n      KADAI_TEST_SECRET:\n';
    expect((await normalize(text)).services[0]?.env).toEqual({ SECRET: 'none-' });
    delete process.env.KADAI_TEST_SECRET;
  });
  it('counts services after normalization', async () => {
    const many = `services:\n${Array.from({ length: 9 }, (_, i) => `  s${i}:\n    image: busybox\n`).join('')}`;
    expect(await issues(many)).toEqual(['compose.yaml:2:3 services: between 1 and 8 services are accepted, found 9']);
  });
});
