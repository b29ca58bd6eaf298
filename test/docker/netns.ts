import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A stand-in for "the LAN" and "cloud metadata" that a build must not reach: a network namespace the
 * test creates, joined to the host by a veth pair and routed like any other network the host can
 * reach, serving HTTP on IPv4, IPv6 and a link-local address (169.254.77.x, metadata-style). Never a
 * real outside address.
 */
export interface NetnsTarget {
  v4: string;
  v6: string;
  linkLocal: string;
  /** The namespace side's fe80:: address, without a zone: only its link (the host's veth) reaches it. */
  linkLocalV6: string;
  /** The host's end of the veth pair: the zone the host reaches linkLocalV6 through. */
  hostLink: string;
  port: number;
  /** The body every address answers with. */
  marker: string;
  close(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export async function createNetnsTarget(): Promise<NetnsTarget> {
  const n = process.pid % 200 + 20;
  const ns = `kadai-t${process.pid}`;
  const host = `ktv${process.pid}h`.slice(0, 15);
  const peer = `ktv${process.pid}n`.slice(0, 15);
  const v4 = `10.251.${n}.2`;
  const v6 = `fd00:251:${n.toString(16)}::2`;
  const linkLocal = `169.254.77.${n}`;
  const marker = `netns-target-${process.pid}`;
  const port = 8080;
  const cleanup = () => {
    try {
      ip('route', 'del', `${linkLocal}/32`);
    } catch {
      // already gone
    }
    try {
      ip('netns', 'del', ns); // takes the veth pair with it
    } catch {
      // already gone
    }
  };
  cleanup();
  ip('netns', 'add', ns);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', ns);
  ip('addr', 'add', `10.251.${n}.1/24`, 'dev', host);
  ip('-6', 'addr', 'add', `fd00:251:${n.toString(16)}::1/64`, 'dev', host, 'nodad');
  ip('link', 'set', host, 'up');
  ip('route', 'add', `${linkLocal}/32`, 'via', v4);
  const inNs = (...args: string[]) => ip('netns', 'exec', ns, 'ip', ...args);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${v4}/24`, 'dev', peer);
  inNs('addr', 'add', `${linkLocal}/32`, 'dev', peer);
  inNs('-6', 'addr', 'add', `${v6}/64`, 'dev', peer, 'nodad');
  inNs('link', 'set', peer, 'up');
  inNs('route', 'add', 'default', 'via', `10.251.${n}.1`);
  inNs('-6', 'route', 'add', 'default', 'via', `fd00:251:${n.toString(16)}::1`);
  const dir = mkdtempSync(path.join(tmpdir(), 'kadai-netns-'));
  writeFileSync(path.join(dir, 'index.html'), `${marker}\n`);
  // http.server on :: is dual-stack: one server for every address of the namespace
  const server: ChildProcess = spawn('ip', ['netns', 'exec', ns, 'python3', '-m', 'http.server', String(port), '--bind', '::', '--directory', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const body = await fetch(`http://${v4}:${port}/`).then((r) => r.text()).catch(() => '');
    if (body.includes(marker)) break;
    if (Date.now() > deadline) throw new Error('the netns target did not come up');
    await new Promise((r) => setTimeout(r, 200));
  }
  const linkLocalV6 = /inet6 (fe80::[0-9a-f:]+)\//.exec(ip('netns', 'exec', ns, 'ip', '-6', '-o', 'addr', 'show', 'dev', peer, 'scope', 'link').toString())?.[1];
  if (!linkLocalV6) throw new Error(`the netns target has no IPv6 link-local address on ${peer}`);
  return {
    v4,
    v6,
    linkLocal,
    linkLocalV6,
    hostLink: host,
    port,
    marker,
    close() {
      server.kill();
      cleanup();
    },
  };
}

/** The first global IPv4 address of the host (eth0 here): another way to the host's services. */
export function hostAddress(): string {
  const all = Object.entries(networkInterfaces()).filter(([name]) => !name.startsWith('kd-') && !name.startsWith('docker') && !name.startsWith('ktv') && name !== 'lo');
  return all.flatMap(([, addrs]) => addrs ?? []).find((a) => a.family === 'IPv4' && !a.internal)!.address;
}
