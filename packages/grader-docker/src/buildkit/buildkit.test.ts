import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILDKIT_RELEASE } from '../options';
import { buildctlArgs, buildctlError } from './buildctl';
import { buildSourcePolicy, imageSourceId } from './source-policy';
import { newTransfer, transferCreatedAt } from './transfer';

describe('the source policy sent with every build', () => {
  const policy = buildSourcePolicy('127.0.0.1:5000', ['python:3.10-slim', 'registry.k8s.io/echoserver:1.4', 'mcr.microsoft.com/azuredocs/aci-helloworld', '127.0.0.1:5000/library/busybox:1.36']);
  it('denies everything first, then allows the context and kadai registry', () => {
    expect(policy.rules.slice(0, 3)).toEqual([
      { action: 'DENY', selector: { identifier: '*', match_type: 'WILDCARD' } },
      { action: 'ALLOW', selector: { identifier: 'local://*', match_type: 'WILDCARD' } },
      { action: 'ALLOW', selector: { identifier: 'docker-image://127.0.0.1:5000/*', match_type: 'WILDCARD' } },
    ]);
  });
  it('rewrites Docker Hub to kadai registry, and other registries only for the images kadai checked', () => {
    expect(policy.rules.filter((r) => r.action === 'CONVERT').map((r) => `${r.selector.identifier} -> ${r.updates?.identifier}`)).toEqual([
      '^docker-image://docker\\.io/(.+)$ -> docker-image://127.0.0.1:5000/$1',
      'docker-image://registry.k8s.io/echoserver:1.4 -> docker-image://127.0.0.1:5000/echoserver:1.4',
      'docker-image://mcr.microsoft.com/azuredocs/aci-helloworld:latest -> docker-image://127.0.0.1:5000/mcr.microsoft.com/azuredocs/aci-helloworld:latest',
    ]);
  });
  it("denies kadai's own attempt images in the registry last, whatever an earlier rule allowed", () => {
    const last = policy.rules.at(-1)!;
    expect(last.action).toBe('DENY');
    const re = new RegExp(last.selector.identifier);
    expect(re.test('docker-image://127.0.0.1:5000/kadai-attempts/kadai-x-1-web-m1-00ff:latest')).toBe(true);
    expect(re.test('docker-image://127.0.0.1:5000/library/kadai-x-1-web:latest')).toBe(true);
    expect(re.test('docker-image://127.0.0.1:5000/library/python:3.10-slim')).toBe(false);
    expect(re.test('docker-image://127.0.0.1:5000/kadai/probe:1')).toBe(false);
    expect(re.test('docker-image://127.0.0.1:5000/kadai-test/big:1')).toBe(false);
  });
  it('names images as BuildKit does', () => {
    expect(imageSourceId('python:3.10-slim')).toBe('docker-image://docker.io/library/python:3.10-slim');
    expect(imageSourceId('localhost:5000/x@sha256:ab')).toBe('docker-image://localhost:5000/x@sha256:ab');
  });
});

describe('buildctl', () => {
  const args = buildctlArgs(
    { address: 'unix:///run/b.sock', buildctl: '/bin/buildctl' },
    { contextDir: '/tmp/c', dockerfile: 'sub/Dockerfile', push: '127.0.0.1:5000/kadai-attempts/kadai-x-1-app-m-ab:latest', args: { A: '1' }, labels: { 'kadai.submission': 's' }, addHosts: ['packages.kadai.internal=10.203.0.1'], cacheNamespace: 'kadai-x-1', cgroupParent: '/kadai-build/kadai-x-1', memoryBytes: 1024, cpus: 0.5, maxFileBytes: 4096, sourcePolicyFile: '/tmp/p.json' },
  );
  const opts = args.flatMap((a, i) => (args[i - 1] === '--opt' ? [a] : []));
  it('builds with the built-in frontend only: cmdline set, so # syntax= forwards nowhere', () => {
    expect(args).toContain('--frontend=dockerfile.v0');
    expect(opts).toEqual(expect.arrayContaining(['cmdline=', 'filename=sub/Dockerfile', 'build-arg:BUILDKIT_CACHE_MOUNT_NS=kadai-x-1', 'cgroup-parent=/kadai-build/kadai-x-1', 'memory=1024', 'memswap=1024', 'cpuquota=50000', 'ulimit=fsize=4096:4096', 'build-arg:A=1', 'label:kadai.submission=s', 'add-hosts=packages.kadai.internal=10.203.0.1']));
    expect(args.slice(-4)).toEqual(['--source-policy-file', '/tmp/p.json', '--output', 'type=image,name=127.0.0.1:5000/kadai-attempts/kadai-x-1-app-m-ab:latest,push=true,registry.insecure=true,oci-mediatypes=false']);
    expect(args.join(' ')).not.toMatch(/--secret|--ssh/);
  });
  it("keeps BuildKit's last error line", () => {
    expect(buildctlError('#5 ERROR: process did not complete\n------\nerror: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n')).toBe('failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3');
  });
});

describe('the transfer of a built image through the registry', () => {
  it('gets a repository of its own, unguessable, whose name says when it was made', () => {
    const a = newTransfer('http://127.0.0.1:5000/', 'kadai-abc-3-web:latest', 1_700_000_000_000);
    const b = newTransfer('http://127.0.0.1:5000', 'kadai-abc-3-web:latest', 1_700_000_000_000);
    expect(a.repository).toMatch(/^kadai-attempts\/kadai-abc-3-web-[0-9a-z]+-[0-9a-f]{32}$/);
    expect(a.ref).toBe(`127.0.0.1:5000/${a.repository}:latest`);
    expect(a.repository).not.toBe(b.repository);
    expect(transferCreatedAt(a.repository)).toBe(1_700_000_000_000);
    expect(transferCreatedAt('kadai-attempts/by-hand')).toBeUndefined();
  });
  it('refuses to build without a registry to pass images through', () => {
    expect(() => newTransfer('', 'kadai-abc-3-web:latest')).toThrow(/KADAI_DOCKER_TRANSFER_REGISTRY/);
  });
});

it('the release the grader runs is the one infra/buildkit builds', () => {
  const infra = path.join(__dirname, '../../../../infra/buildkit');
  const version = /^require github.com\/moby\/buildkit (\S+)$/m.exec(readFileSync(path.join(infra, 'module/go.mod'), 'utf8'))?.[1];
  const suffix = /^BUILDKIT_RELEASE="\$BUILDKIT_VERSION(\S*)"$/m.exec(readFileSync(path.join(infra, 'buildkit.sh'), 'utf8'))?.[1];
  expect(`${version}${suffix}`).toBe(BUILDKIT_RELEASE);
});
