import { isInternalAddress, isInternalName } from './addresses';
import { imageAllowed, normalizeImage } from './images';
import { parseQuantity } from './quantity';

describe('image references', () => {
  it('normalizes as the runtime resolves them', () => {
    expect(normalizeImage('nginx')).toEqual({ repository: 'docker.io/library/nginx' });
    expect(normalizeImage('docker.io/busybox:latest')).toEqual({ repository: 'docker.io/library/busybox', tag: 'latest' });
    expect(normalizeImage('kicbase/echo-server:1.0')).toEqual({ repository: 'docker.io/kicbase/echo-server', tag: '1.0' });
    expect(normalizeImage('127.0.0.1:5000/app:v1@sha256:ab')).toEqual({ repository: '127.0.0.1:5000/app', tag: 'v1', digest: 'sha256:ab' });
  });
  it('matches patterns by repository, tag glob and digest', () => {
    expect(imageAllowed('docker.io/library/nginx:1.19', ['nginx'])).toBe(true);
    expect(imageAllowed('nginx', ['nginx:1.*'])).toBe(false); // latest is not 1.*
    expect(imageAllowed('nginx:1.22', ['nginx:1.*'])).toBe(true);
    expect(imageAllowed('evil.example.com/nginx:1.22', ['nginx:1.*'])).toBe(false);
    expect(imageAllowed('nginxx:1', ['nginx'])).toBe(false);
  });
});

describe('quantities', () => {
  it.each([['500m', 0.5], ['2', 2], ['1Gi', 2 ** 30], ['1.5G', 1.5e9], ['2e3', 2000], [3, 3]])('%s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });
  it('is undefined for what is not a quantity', () => {
    expect(parseQuantity('two')).toBeUndefined();
    expect(parseQuantity({})).toBeUndefined();
  });
});

describe('internal addresses and names', () => {
  it.each(['169.254.169.254', '10.96.0.1', '127.0.0.1', '192.168.49.2', '172.20.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1',
    // IPv4-mapped in hex groups (URL writes [::ffff:127.0.0.1] so), IPv4-compatible, NAT64, 6to4, Teredo, multicast
    '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::1', '2001:0:1::1', 'ff02::1', '::'])('%s is internal', (ip) => {
    expect(isInternalAddress(ip)).toBe(true);
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '2001:4860:4860::8888'])('%s is not', (ip) => {
    expect(isInternalAddress(ip)).toBe(false);
  });
  it('names pointing into the cluster or the node', () => {
    for (const name of ['kubernetes.default.svc', 'db.kadai-a-1.svc.cluster.local', 'localhost', 'metadata.google.internal', '2852039166', '169.254.169.254']) expect(isInternalName(name)).toBe(true);
    expect(isInternalName('db1.example.com')).toBe(false);
  });
});
