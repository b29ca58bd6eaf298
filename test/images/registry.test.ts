import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REGISTRY, REPO, docker, httpGet, sh } from './helpers';

const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json';

async function manifest(repo: string, tag: string): Promise<{ status: number; json?: { schemaVersion: number; config: { digest: string } } }> {
  const res = await httpGet(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, { headers: { Accept: ACCEPT } });
  return { status: res.status, json: res.status === 200 ? JSON.parse(res.body) : undefined };
}

test('the registry answers the v2 API and lists the mirrored repositories', async () => {
  const res = await httpGet(`http://${REGISTRY}/v2/_catalog?n=1000`);
  expect(res.status).toBe(200);
  const repos: string[] = JSON.parse(res.body).repositories;
  for (const r of [
    'library/nginx', 'library/httpd', 'library/busybox', 'library/alpine', 'library/ubuntu', 'library/redis',
    'library/python', 'library/golang', 'kicbase/echo-server', 'echoserver', 'busybox', 'hpa-example',
    'mcr.microsoft.com/azuredocs/aci-helloworld',
  ]) {
    expect(repos).toContain(r);
  }
});

test.each([
  ['library/nginx', '1.21', 'nginx:1.21'],
  ['library/nginx', '1.19', 'nginx:1.19'],
  ['library/nginx', 'latest', 'nginx:latest'],
  ['kicbase/echo-server', '1.0', 'kicbase/echo-server:1.0'],
  ['echoserver', '1.4', 'registry.k8s.io/echoserver:1.4'],
  ['busybox', 'latest', 'registry.k8s.io/busybox:latest'],
  ['hpa-example', 'latest', 'registry.k8s.io/hpa-example:latest'],
])('manifest %s:%s is the local %s (schema 2)', async (repo, tag, local) => {
  const m = await manifest(repo, tag);
  expect(m.status).toBe(200);
  expect(m.json?.schemaVersion).toBe(2);
  expect(m.json?.config.digest).toBe(await docker(['image', 'inspect', '-f', '{{.Id}}', local]));
});

test('every public tag of images.conf is in the registry', async () => {
  // the same mapping as infra/images/lib.sh registry_repo
  const conf = fs.readFileSync(path.join(REPO, 'infra/images/images.conf'), 'utf8');
  const tags = conf
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .flatMap((l) => l.split('|')[5]!.trim().split(/\s+/))
    .filter((t) => !t.startsWith('kadai/') || t.startsWith('kadai/probe:'));
  expect(tags.length).toBeGreaterThan(30);
  const missing: string[] = [];
  for (const ref of tags) {
    const i = ref.lastIndexOf(':');
    const name = ref.slice(0, i);
    const tag = ref.slice(i + 1);
    const first = name.split('/')[0]!;
    let repo: string;
    if (first.includes('.')) {
      const host = first;
      const rest = name.slice(host.length + 1);
      repo = ['docker.io', 'registry.k8s.io', 'k8s.gcr.io'].includes(host) ? rest : `${host}/${rest}`;
    } else {
      repo = name.includes('/') ? name : `library/${name}`;
    }
    const m = await manifest(repo, tag);
    if (m.status !== 200) missing.push(`${ref} -> ${repo}:${tag}`);
  }
  expect(missing).toEqual([]);
});

test('docker pull nginx:1.21 goes through the registry mirror after docker rmi', async () => {
  const mirrors = await docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
  expect(mirrors).toContain(`http://${REGISTRY}/`);
  const id = await docker(['image', 'inspect', '-f', '{{.Id}}', 'nginx:1.21']);
  await docker(['rmi', 'nginx:1.21']);
  try {
    await expect(docker(['image', 'inspect', 'nginx:1.21'])).rejects.toThrow();
    // there is no route to Docker Hub here: only the mirror can answer this pull
    await docker(['pull', 'nginx:1.21'], 120000);
  } finally {
    // leave the tag in place even when the pull failed
    await docker(['tag', id, 'nginx:1.21']).catch(() => undefined);
  }
  expect(await docker(['image', 'inspect', '-f', '{{.Id}}', 'nginx:1.21'])).toBe(id);
}, 180000);

test('containerd pulls through the hosts files of infra/images/containerd-hosts', async () => {
  const sockets = ['/run/containerd/containerd.sock', '/run/kadai/engine/containerd/containerd.sock'];
  const sock = sockets.find((s) => fs.existsSync(s));
  const ctr = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((c) => fs.existsSync(c));
  if (!sock || !ctr) {
    console.warn('containerd/ctr not present: skipping the containerd pull');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadai-hosts-'));
  const ns = `kadai-imgtest-${process.pid}`;
  try {
    await sh('bash', [path.join(REPO, 'infra/images/containerd-hosts'), dir]);
    for (const host of ['docker.io', 'registry.k8s.io', 'k8s.gcr.io']) {
      const toml = fs.readFileSync(path.join(dir, host, 'hosts.toml'), 'utf8');
      expect(toml).toContain(`[host."http://${REGISTRY}"]`);
      expect(toml).toContain('capabilities = ["pull", "resolve"]');
    }
    for (const ref of [
      'docker.io/library/nginx:1.21',
      'registry.k8s.io/echoserver:1.4',
      'k8s.gcr.io/busybox:latest',
      'mcr.microsoft.com/azuredocs/aci-helloworld:latest',
    ]) {
      await sh(ctr, ['-a', sock, '-n', ns, 'images', 'pull', '--hosts-dir', dir, ref], { timeoutMs: 120000 });
    }
    const list = (await sh(ctr, ['-a', sock, '-n', ns, 'images', 'ls', '-q'])).stdout;
    expect(list).toContain('docker.io/library/nginx:1.21');
    expect(list).toContain('registry.k8s.io/echoserver:1.4');
  } finally {
    const list = (await sh(ctr, ['-a', sock, '-n', ns, 'images', 'ls', '-q']).catch(() => ({ stdout: '' }))).stdout;
    const refs = list.split('\n').filter(Boolean);
    if (refs.length) await sh(ctr, ['-a', sock, '-n', ns, 'images', 'rm', '--sync', ...refs]).catch(() => undefined);
    await sh(ctr, ['-a', sock, 'namespaces', 'rm', ns]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 300000);
