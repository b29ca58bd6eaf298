import { composeViolations, serviceViolations, topLevelViolations } from './policy';

// The policy judges compose-go's normalized model (long syntax), as the reference-parsers helper returns it.
const paths = (name: string, svc: Record<string, unknown>) => serviceViolations(name, svc).map((v) => `${v.path.join('.')}: ${v.message}`);
const vol = (type: string, source: string | undefined, target: string) => ({ type, ...(source ? { source } : {}), target });

describe('serviceViolations', () => {
  it('allows an ordinary service', () => {
    expect(paths('web', { build: { context: '.', dockerfile: 'Dockerfile' }, ports: [{ target: 5000, published: '8000' }], volumes: [vol('volume', 'data', '/data'), vol('volume', undefined, '/anon')], restart: 'always', depends_on: { redis: {} }, networks: { default: null } })).toEqual([]);
  });
  it('refuses privileges, namespaces, devices and host mounts, each with its field', () => {
    expect(
      paths('evil', {
        privileged: true,
        cap_add: ['SYS_ADMIN'],
        devices: [{ source: '/dev/sda', target: '/dev/sda' }],
        security_opt: ['seccomp=unconfined'],
        userns_mode: 'host',
        sysctls: { 'net.core.somaxconn': '1024' },
        runtime: 'runc',
        volumes_from: ['other'],
        use_api_socket: true,
        network_mode: 'host',
        pid: 'host',
        ipc: 'host',
        uts: 'host',
        volumes: [vol('bind', '/', '/host'), vol('bind', '/var/run/docker.sock', '/var/run/docker.sock'), vol('tmpfs', undefined, '/t'), vol('volume', 'ok', '/ok')],
      }),
    ).toEqual([
      'services.evil.privileged: privileged containers are not allowed',
      'services.evil.cap_add: adding capabilities is not allowed',
      'services.evil.devices: host devices are not allowed',
      'services.evil.security_opt: changing security options is not allowed',
      'services.evil.userns_mode: changing the user namespace is not allowed',
      'services.evil.sysctls: setting kernel parameters is not allowed',
      'services.evil.runtime: choosing the container runtime is not allowed',
      "services.evil.volumes_from: mounting another container's volumes is not allowed",
      "services.evil.use_api_socket: the Docker engine's socket is not available to containers",
      'services.evil.pid: pid: host is not allowed; containers keep their own namespaces',
      'services.evil.ipc: ipc: host is not allowed; containers keep their own namespaces',
      'services.evil.uts: uts: host is not allowed; containers keep their own namespaces',
      "services.evil.network_mode: network_mode: host is not allowed; services run on the attempt's own network",
      'services.evil.volumes.0: bind mounts of host paths are not allowed ("/"); use a named volume',
      'services.evil.volumes.1: mounting the Docker socket is not allowed',
      'services.evil.volumes.2: volume type "tmpfs" is not allowed; use a named volume',
    ]);
  });
  it('keeps builds inside the submission and away from BuildKit instructions', () => {
    expect(paths('web', { build: { context: '/', dockerfile: 'Dockerfile' } })).toEqual(['services.web.build.context: the build context must be a folder of the submission, not "/"']);
    expect(paths('web', { build: { context: 'https://github.com/x/y.git' } }).map((p) => p.split(':')[0])).toEqual(['services.web.build.context']);
    expect(paths('web', { build: { context: './app', dockerfile: '../../etc/passwd', network: 'host', additional_contexts: { a: '/etc' }, args: { BUILDKIT_SYNTAX: 'x', OK: '1' } } }).map((p) => p.split(':')[0])).toEqual([
      'services.web.build.dockerfile',
      'services.web.build.network',
      'services.web.build.additional_contexts',
      'services.web.build.args.BUILDKIT_SYNTAX',
    ]);
  });
  it("refuses other attempts' images", () => {
    expect(paths('web', { image: 'kadai-abc123-web:latest' })).toEqual(["services.web.image: images named kadai-… (kadai's own attempt images) and image IDs cannot be used: name an image, such as nginx:1.25"]);
    expect(paths('web', { image: 'index.docker.io/library/kadai-abc123-web' })).toHaveLength(1);
    // the engine takes a bare hex string as an image ID prefix: any image on it, another attempt's too
    for (const id of ['bac0', 'sha256:bac0a314', 'BAC0A3']) expect(paths('web', { image: id })).toHaveLength(1);
    expect(paths('web', { image: 'bac0:1.0' })).toEqual([]);
    expect(paths('web', { image: '127.0.0.1:5000/kadai-attempts/kadai-abc123-1-web-m1-0123456789abcdef0123456789abcdef' })).toHaveLength(1);
    expect(paths('web', { image: 'localhost/kadai-attempts/x' })).toHaveLength(1);
    expect(paths('web', { image: 'example/kadai-tools' })).toEqual([]);
    expect(paths('web', { image: '127.0.0.1:5000/kadai-test/big:1' })).toEqual([]);
    expect(paths('web', { image: 'kadai/debian-base:bookworm' })).toEqual([]);
  });
  it('ignores privileged: false and empty lists', () => {
    expect(paths('web', { privileged: false, cap_add: [], sysctls: {} })).toEqual([]);
  });
});

describe('topLevelViolations', () => {
  it('refuses include, secrets, external and driver-backed volumes', () => {
    expect(topLevelViolations({ volumes: { a: { name: 'a', external: true }, b: { driver_opts: { type: 'none', device: '/', o: 'bind' } }, c: {} }, secrets: { s: { file: '/etc/shadow' } } }, [{ path: ['/etc/x.yaml'] }]).map((v) => v.path.join('.'))).toEqual([
      'include',
      'secrets',
      'volumes.a.external',
      'volumes.b.driver_opts',
    ]);
  });
  it('accepts the default network compose-go adds and a top-level name', () => {
    expect(composeViolations({ name: 'kadai', services: { web: { image: 'nginx' } }, networks: { default: { name: 'kadai_default', ipam: {} } } })).toEqual([]);
  });
});
