import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { docker, httpGet, removeStarted, runDetached, runOnce, tcpRequest } from './helpers';

afterAll(removeStarted);

describe('nginx stand-ins', () => {
  const tags = ['1.19', '1.21', '1.21.6', '1.22', 'latest'];
  test.each(tags)('nginx:%s answers with its own version', async (tag) => {
    const { port } = await runDetached(`nginx:${tag}`, 80);
    const res = await httpGet(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toBe(`nginx/${tag}`);
    expect(res.body).toContain('Welcome to nginx!');
    expect(res.body).toContain(`nginx ${tag}</b>`);
    const others = tags.filter((t) => t !== tag && !tag.startsWith(`${t}.`));
    for (const t of others) expect(res.body).not.toContain(`nginx ${t}</b>`);
    const version = await httpGet(`http://127.0.0.1:${port}/kadai-version`);
    expect(version.body.trim()).toBe(`nginx:${tag}`);
  });

  test('untagged nginx is nginx:latest, and the CMD is upstream\'s', async () => {
    const latest = await docker(['image', 'inspect', '-f', '{{.Id}}', 'nginx:latest']);
    expect(await docker(['image', 'inspect', '-f', '{{.Id}}', 'nginx'])).toBe(latest);
    expect(await docker(['image', 'inspect', '-f', '{{json .Config.Cmd}}', 'nginx:1.21'])).toBe(
      '["nginx","-g","daemon off;"]',
    );
  });
});

test('httpd says It works!', async () => {
  const { port } = await runDetached('httpd', 80);
  const res = await httpGet(`http://127.0.0.1:${port}/`);
  expect(res.status).toBe(200);
  expect(res.body).toContain('<h1>It works!</h1>');
  expect(res.headers.get('server')).toMatch(/^Apache\//);
});

test.each(['redis', 'redis:alpine'])('%s answers PING on 6379', async (image) => {
  const { port } = await runDetached(image, 6379);
  expect(await tcpRequest(port, 'PING\r\n')).toBe('+PONG');
  // protected mode is off: a client that is not on loopback (the host, through the bridge) may write
  expect(await tcpRequest(port, 'SET kadai 1\r\n')).toBe('+OK');
});

test.each(['python:3.10-slim', 'python:3.9', 'python:3-slim'])('%s runs python3 -c and has pip', async (image) => {
  expect(await runOnce(image, ['python3', '-c', 'print(6*7)'])).toBe('42');
  expect(await runOnce(image, ['python', '-c', 'import sys; print(sys.version_info[0])'])).toBe('3');
  // as upstream: nothing but pip and the standard library (a forgotten `pip install flask` fails the build's app)
  expect(await runOnce(image, ['python', '-c', 'import importlib.util as u; print([m for m in ("flask", "redis", "requests") if u.find_spec(m)])'])).toBe('[]');
  expect(await runOnce(image, ['pip', '--version'])).toMatch(/^pip \d+/);
});

describe('echo servers', () => {
  test('kicbase/echo-server:1.0 echoes the request with the hostname', async () => {
    const { port } = await runDetached('kicbase/echo-server:1.0', 8080, ['--hostname', 'echo-host-1']);
    const res = await httpGet(`http://127.0.0.1:${port}/some/path?x=1`, { headers: { 'X-Kadai': 'yes' } });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Request served by echo-host-1');
    expect(res.body).toContain('GET /some/path?x=1 HTTP/1.1');
    expect(res.body).toContain('X-Kadai: yes');
  });

  test.each(['k8s.gcr.io/echoserver:1.4', 'registry.k8s.io/echoserver:1.4'])('%s echoes like the k8s echoserver', async (image) => {
    const { port } = await runDetached(image, 8080, ['--hostname', 'echo-host-2']);
    const res = await httpGet(`http://127.0.0.1:${port}/app1`, { method: 'POST', body: 'hi there' });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Hostname: echo-host-2');
    expect(res.body).toContain('CLIENT VALUES:');
    expect(res.body).toContain('real path=/app1');
    expect(res.body).toContain('command=POST');
    expect(res.body).toContain('hi there');
  });

  test('registry.k8s.io/hpa-example answers OK! on port 80', async () => {
    const { port } = await runDetached('registry.k8s.io/hpa-example', 80);
    const res = await httpGet(`http://127.0.0.1:${port}/`);
    expect(res.body).toBe('OK!');
  });
});

describe('base images', () => {
  test.each(['busybox', 'registry.k8s.io/busybox', 'k8s.gcr.io/busybox', 'alpine'])('%s has a shell and busybox tools', async (image) => {
    expect(await runOnce(image, ['sh', '-c', 'echo hi; ls / >/dev/null; wget --help 2>&1 | head -1'])).toMatch(/^hi\nBusyBox/);
  });

  test('ubuntu is Debian with apt working: the final assignment 2 Dockerfile builds and serves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadai-ubuntu-'));
    const tag = `kadai-imgtest-ubuntu-nginx:${process.pid}`;
    fs.writeFileSync(
      path.join(dir, 'Dockerfile'),
      'FROM ubuntu\nRUN apt-get update && apt-get install -y nginx\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n',
    );
    try {
      await docker(['build', '-q', '-t', tag, dir], 300000);
      const { port } = await runDetached(tag, 80);
      const res = await httpGet(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(res.body).toContain('Welcome to nginx');
    } finally {
      await removeStarted();
      await docker(['rmi', '-f', tag]).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 360000);
});

describe('course patterns', () => {
  test('a busybox probe (wget -qO- -T 5) reaches another container', async () => {
    const { id } = await runDetached('nginx:1.19', 80);
    const ip = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]);
    for (const image of ['busybox', 'docker.io/busybox:latest', 'registry.k8s.io/busybox', 'alpine']) {
      const out = await runOnce(image, [
        'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- -T 5 http://${ip}/kadai-version && exit 0; sleep 0.5; done; exit 1`,
      ]);
      expect(out).toBe('nginx:1.19');
    }
  });
});

test('DEMO-1.2/1.3: python:3.10-slim app with requirements (flask, redis) builds through kadai\'s package mirror and reaches redis:alpine by name', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadai-py-'));
  const tag = `kadai-imgtest-pyapp:${process.pid}`;
  const net = `kadai-imgtest-net-${process.pid}`;
  const redisName = `kadai-imgtest-myredis-${process.pid}`;
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'flask\nredis\n');
  fs.writeFileSync(
    path.join(dir, 'app.py'),
    'import os, time, flask, redis\nr = redis.Redis(host=os.environ["REDIS_HOST"], port=6379)\n' +
      'for _ in range(50):\n    try:\n        print("hits", r.incr("hits")); break\n    except redis.exceptions.ConnectionError:\n        time.sleep(0.2)\n',
  );
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM python:3.10-slim\nWORKDIR /code\nCOPY requirements.txt requirements.txt\nCOPY app.py app.py\n' +
      'RUN pip install --no-cache-dir -r requirements.txt\nCMD ["python", "app.py"]\n',
  );
  try {
    // as the grader builds: on the build network, whose only way out is the package mirror
    await docker(['build', '-q', '--network', 'kadai-builds', '--add-host', 'packages.kadai.internal:10.203.0.1', '-t', tag, dir], 300000);
    expect(await docker(['image', 'inspect', '-f', '{{json .Config.Cmd}}', tag])).toBe('["python","app.py"]');
    // kadai's engine runs without Docker's iptables; its firewall lets containers talk on kd-* bridges only
    await docker(['network', 'create', '-o', `com.docker.network.bridge.name=kd-it${process.pid}`, net]);
    await docker(['run', '-d', '--name', redisName, '--network', net, 'redis:alpine']);
    const out = await runOnce(tag, [], ['--network', net, '-e', `REDIS_HOST=${redisName}`]);
    expect(out).toBe('hits 1');
  } finally {
    await docker(['rm', '-f', redisName]).catch(() => undefined);
    await docker(['network', 'rm', net]).catch(() => undefined);
    await docker(['rmi', '-f', tag]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 360000);
