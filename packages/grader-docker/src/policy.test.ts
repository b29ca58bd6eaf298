import { serviceViolations, topLevelViolations } from './policy';

const paths = (name: string, svc: Record<string, unknown>) => serviceViolations(name, svc).map((v) => `${v.path.join('.')}: ${v.message}`);

describe('serviceViolations', () => {
  it('allows an ordinary service', () => {
    expect(paths('web', { build: { context: '.' }, ports: ['8000:5000'], volumes: ['data:/data', '/anon'], restart: 'always', depends_on: ['redis'] })).toEqual([]);
  });
  it('refuses privileges, namespaces, devices and host mounts, each with its field', () => {
    expect(
      paths('evil', {
        privileged: true,
        cap_add: ['SYS_ADMIN'],
        devices: ['/dev/sda:/dev/sda'],
        network_mode: 'host',
        pid: 'host',
        ipc: 'host',
        security_opt: ['seccomp=unconfined'],
        volumes: ['/:/host', '/var/run/docker.sock:/var/run/docker.sock', { type: 'bind', source: '/etc', target: '/e' }, 'ok:/ok'],
      }),
    ).toEqual([
      'services.evil.privileged: privileged containers are not allowed',
      'services.evil.cap_add: adding capabilities is not allowed',
      'services.evil.devices: host devices are not allowed',
      'services.evil.security_opt: changing security options is not allowed',
      'services.evil.pid: pid: host is not allowed; containers keep their own namespaces',
      'services.evil.ipc: ipc: host is not allowed; containers keep their own namespaces',
      "services.evil.network_mode: network_mode: host is not allowed; services run on the attempt's own network",
      'services.evil.volumes.0: bind mounts of host paths are not allowed ("/"); use a named volume',
      'services.evil.volumes.1: mounting the Docker socket is not allowed',
      'services.evil.volumes.2: bind mounts of host paths are not allowed ("/etc"); use a named volume',
    ]);
  });
  it("refuses other attempts' images", () => {
    expect(paths('web', { image: 'kadai-abc123-web:latest' })).toEqual(["services.web.image: images named kadai-… are kadai's own attempt images and cannot be used"]);
    expect(paths('web', { image: 'kadai/debian-base:bookworm' })).toEqual([]);
  });
  it('keeps env_file inside the submission', () => {
    expect(paths('web', { env_file: '.env.web' })).toEqual([]);
    expect(paths('web', { env_file: ['ok.env', '/etc/shadow', '../../etc/passwd', { path: '${X:-/etc/hostname}' }] }).map((p) => p.split(':')[0])).toEqual([
      'services.web.env_file.1',
      'services.web.env_file.2',
      'services.web.env_file.3',
    ]);
    expect(paths('web', { env_file: '/etc/shadow' })).toEqual(['services.web.env_file: env_file must be a file of the submission (a relative path without .. or $), not "/etc/shadow"']);
  });
  it('ignores privileged: false', () => {
    expect(paths('web', { privileged: false, cap_add: [] })).toEqual([]);
  });
});

describe('topLevelViolations', () => {
  it('refuses external and driver-backed volumes', () => {
    expect(topLevelViolations({ volumes: { a: { external: true }, b: { driver_opts: { type: 'none', device: '/', o: 'bind' } }, c: {} } }).map((v) => v.path.join('.'))).toEqual(['volumes.a.external', 'volumes.b.driver_opts']);
  });
});
