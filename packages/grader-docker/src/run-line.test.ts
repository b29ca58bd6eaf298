import { parsePort, parseRunFile, parseVolume, RunFileError } from './run-line';

function issuesOf(text: string): string[] {
  try {
    parseRunFile('run.txt', text, 8);
  } catch (error) {
    if (error instanceof RunFileError) return error.issues.map((i) => `${i.line}:${i.field ?? ''}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('ports and volumes', () => {
  it('parses the forms of -p', () => {
    expect(parsePort('8080:80')).toEqual({ host: 8080, container: 80, protocol: 'tcp' });
    expect(parsePort('127.0.0.1:8080:80/udp')).toEqual({ host: 8080, container: 80, protocol: 'udp' });
    expect(parsePort('80')).toEqual({ container: 80, protocol: 'tcp' });
    expect(parsePort('99999:80')).toMatch(/out of range/);
    expect(parsePort('a:b')).toMatch(/not a port mapping/);
  });
  it('accepts named volumes only', () => {
    expect(parseVolume('data:/data')).toEqual({ volume: 'data', target: '/data', readOnly: false });
    expect(parseVolume('data:/data:ro')).toEqual({ volume: 'data', target: '/data', readOnly: true });
    expect(parseVolume('/:/host')).toMatch(/bind mounts/);
    expect(parseVolume('./src:/app')).toMatch(/bind mounts/);
    expect(parseVolume('/var/run/docker.sock:/var/run/docker.sock')).toMatch(/Docker socket/);
  });
});

describe('parseRunFile', () => {
  it('reads a course command into a service', () => {
    const [s] = parseRunFile('run.txt', 'docker pull nginx\ndocker run -d --name web -p 8080:80 -e A=1 --restart=always -v data:/d nginx:1.21 nginx -g "daemon off;"\ndocker ps\n', 8);
    expect(s).toMatchObject({
      name: 'web',
      image: 'nginx:1.21',
      ports: [{ host: 8080, container: 80, protocol: 'tcp' }],
      env: { A: '1' },
      restart: 'always',
      volumes: [{ volume: 'data', target: '/d', readOnly: false }],
      command: ['nginx', '-g', 'daemon off;'],
      where: { file: 'run.txt', line: 2 },
    });
  });
  it('accepts combined flags like -dit and docker container run', () => {
    expect(parseRunFile('run.txt', 'docker container run -dit -p 80:80 httpd', 8)[0]).toMatchObject({ image: 'httpd', name: 'run1' });
  });
  it('rejects what the sandbox policy refuses, naming line and flag', () => {
    expect(issuesOf('docker run --privileged nginx')).toEqual(['1:--privileged: privileged containers are not allowed']);
    expect(issuesOf('docker run -v /var/run/docker.sock:/var/run/docker.sock docker')).toEqual(['1:-v: mounting the Docker socket is not allowed']);
    expect(issuesOf('docker run -v /:/host alpine')[0]).toMatch(/^1:-v: bind mounts of host paths/);
    expect(issuesOf('docker run --network host nginx')[0]).toMatch(/^1:--network: --network host is not allowed/);
    expect(issuesOf('docker run --net=host nginx')[0]).toMatch(/^1:--net: /);
    expect(issuesOf('docker run --pid=host nginx')[0]).toMatch(/^1:--pid: /);
    expect(issuesOf('docker run --ipc host nginx')[0]).toMatch(/^1:--ipc: /);
    expect(issuesOf('docker run --cap-add SYS_ADMIN nginx')[0]).toMatch(/^1:--cap-add: adding capabilities/);
    expect(issuesOf('docker run --device /dev/sda nginx')[0]).toMatch(/^1:--device: host devices/);
    expect(issuesOf('docker run --mount type=bind,source=/,target=/h nginx')[0]).toMatch(/^1:--mount: --mount type=bind is not allowed/);
    expect(issuesOf('docker run kadai-0123abcd-web')[0]).toMatch(/^1:image: images named kadai-/);
    expect(issuesOf('\n\ndocker run --frobnicate nginx')[0]).toMatch(/^3:--frobnicate: the flag --frobnicate is not allowed/);
  });
  it('rejects other commands, shell syntax and empty files', () => {
    expect(issuesOf('curl http://x')[0]).toMatch(/only docker commands/);
    expect(issuesOf('docker build -t x .')[0]).toMatch(/"docker build" is not accepted/);
    expect(issuesOf('docker run nginx | tee x')[0]).toMatch(/shell operators/);
    expect(issuesOf('# nothing')[0]).toMatch(/no "docker run" line/);
    expect(issuesOf('docker run -d')[0]).toMatch(/no image/);
    expect(issuesOf('docker run -e HOME nginx')[0]).toMatch(/NAME=value/);
  });
  it('limits the number of containers', () => {
    expect(issuesOf(Array.from({ length: 9 }, (_, i) => `docker run --name c${i} nginx`).join('\n'))[0]).toMatch(/at most 8/);
  });
});
