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

/** The eight 16-bit groups of an IPv6 address in any notation (`::`, an embedded dotted quad). */
function hextets(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16));
}

export function isInternalAddress(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) {
    const n = v4(ip);
    return V4_RANGES.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
  }
  if (kind === 6) {
    const h = hextets(ip);
    // IPv4-mapped (::ffff:a.b.c.d, also written ::ffff:7f00:1): what it reaches is the IPv4 address
    if (h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) return isInternalAddress(`${h[6]! >> 8}.${h[6]! & 255}.${h[7]! >> 8}.${h[7]! & 255}`);
    // only global unicast (2000::/3) is public; within it, 6to4 (2002::/16) and Teredo (2001:0::/32)
    // carry an IPv4 address of their own. Everything else (loopback, ::/96 IPv4-compatible, NAT64
    // 64:ff9b::/96, link-local, unique-local, multicast) is internal.
    const first = h[0]!;
    return (first & 0xe000) !== 0x2000 || first === 0x2002 || (first === 0x2001 && h[1] === 0);
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
