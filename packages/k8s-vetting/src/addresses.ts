import { isIP } from 'node:net';

/**
 * Addresses a Service or Endpoints object may not point at: loopback, link-local (the cloud
 * metadata service at 169.254.169.254), private ranges (node, Pod and Service networks, the API
 * server) and unspecified. Aiming a Service there turns the cluster's proxy into the student's.
 */
const V4_RANGES: Array<[number, number]> = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16],
  [0xac100000, 12], [0xc0a80000, 16], [0xc6120000, 15], [0xe0000000, 4], [0xf0000000, 4],
];

function v4(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function isInternalAddress(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) {
    const n = v4(ip);
    return V4_RANGES.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
  }
  if (kind === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isInternalAddress(mapped[1] ?? '');
    return lower === '::' || lower === '::1' || /^fe[89ab]/.test(lower) || /^f[cd]/.test(lower) || /^ff/.test(lower);
  }
  return false;
}

/**
 * A DNS name that resolves inside the cluster or to the host: the API server's Service
 * (`kubernetes.default…`), any `*.svc` / cluster-domain name, `localhost`, metadata services, or
 * an IP literal in an internal range.
 */
export function isInternalName(name: string, clusterDomain = 'cluster.local'): boolean {
  const host = name.toLowerCase().replace(/\.$/, '');
  if (isIP(host)) return isInternalAddress(host);
  if (/^\d+$/.test(host) || /^0x[0-9a-f]+$/.test(host)) return true; // 2852039166 is 169.254.169.254 to a resolver
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return true;
  if (host === 'kubernetes' || host.startsWith('kubernetes.default')) return true;
  return host.endsWith('.svc') || host.includes('.svc.') || host.endsWith(`.${clusterDomain}`) || host === clusterDomain;
}
