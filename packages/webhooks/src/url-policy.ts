import { RejectedInputError } from '@kadai/errors';
import ipaddr from 'ipaddr.js';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Where webhooks may go. Public addresses only, unless the operator allowed a private range (an
 * on-campus LMS often sits on one); never kadai's own API.
 */
export interface UrlPolicy {
  /** CIDR ranges (or single addresses) the operator allows although not public, e.g. 10.0.0.0/8. */
  allowedPrivate: string[];
  /** kadai's own API origins (http://host:port); a webhook there would let a course call kadai as kadai. */
  selfOrigins: string[];
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '');
export const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/** Whether an address is this machine's: loopback, unspecified, or one of its interfaces'. */
function isThisMachine(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (['loopback', 'unspecified'].includes(address.range())) return true;
  const text = address.toString();
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => ipaddr.isValid(i.address) && ipaddr.process(i.address).toString() === text));
}

function isSelf(address: ipaddr.IPv4 | ipaddr.IPv6, port: number, policy: UrlPolicy): boolean {
  return policy.selfOrigins.some((origin) => {
    const self = new URL(origin);
    if (portOf(self) !== port) return false;
    const host = bare(self.hostname);
    if (ipaddr.isValid(host) && ipaddr.process(host).toString() === address.toString()) return true;
    // an API on this machine is reached at any of its addresses on that port
    return isThisMachine(address);
  });
}

function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, cidr: string): boolean {
  const [net, bits] = cidr.includes('/') ? ipaddr.parseCIDR(cidr) : [ipaddr.process(cidr), ipaddr.process(cidr).kind() === 'ipv4' ? 32 : 128];
  return net.kind() === address.kind() && address.match(net, bits);
}

/** Why a webhook may not connect to this address and port, or undefined when it may. */
export function refusedAddress(text: string, port: number, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(text)) return `"${text}" is not an IP address`;
  const address = ipaddr.process(text);
  if (isSelf(address, port, policy)) return `${text}:${port} is kadai's own API`;
  const range = address.range();
  if (range === 'unicast' || policy.allowedPrivate.some((cidr) => inRange(address, cidr))) return undefined;
  return `${text} is a ${range} address, which webhooks reach only when the operator allows it (KADAI_WEBHOOK_ALLOW_PRIVATE)`;
}

function refusal(message: string): RejectedInputError {
  return new RejectedInputError(`webhook URL refused: ${message}`, [{ field: 'url', message }]);
}

/**
 * Checks a webhook URL when it is registered: http(s), no credentials, and every address its host
 * resolves to now allowed. This is for a clear answer at once; the check that protects is made on
 * every connection (connectLookup), since DNS may answer differently later.
 */
export async function checkWebhookUrl(text: string, policy: UrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RejectedInputError(`"${text}" is not a URL`, [{ field: 'url', message: 'not an absolute URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refusal(`the scheme ${url.protocol} is not http or https`);
  if (url.username || url.password) throw refusal('credentials in the URL are not kept; the signature authenticates kadai');
  const host = bare(url.hostname);
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  for (const address of addresses) {
    const why = refusedAddress(address, portOf(url), policy);
    if (why) throw refusal(why);
  }
  return url;
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(refusal(`${host} does not resolve (${error.code ?? error.message})`)) : resolve(addresses.map((a) => a.address)))),
  );
}

/**
 * A DNS lookup for http.request that refuses addresses the policy does not allow. It runs as the
 * connection is made, on the addresses connected to — so a name that resolved to a public address
 * when registered and to a private one now (DNS rebinding) is still refused.
 */
export function connectLookup(policy: UrlPolicy, port: number): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refusals = addresses.map((a) => refusedAddress(a.address, port, policy));
      const allowed = addresses.filter((_, i) => refusals[i] === undefined);
      if (allowed.length === 0) {
        return callback(Object.assign(new Error(`refused: ${hostname} → ${refusals.join('; ')}`), { code: 'EWEBHOOKREFUSED' }), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
