import { HOST_DROP, HOST_REPLIES } from '@kadai/grader-docker';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { labsFolder } from '../support/labs-folder';
import { startStack, type Stack } from '../support/stack';
import { hostAddress } from './netns';
import { listing, ShadowRule } from './shadow-rule';

// kadai's host isolation rules (INPUT, kd-+) are checked before each attempt to take effect, not
// only to exist: with an ACCEPT inserted above them in iptables and ip6tables (as ufw, Docker or an
// operator's tool could; for the test's own host port only, so no other suite's probe meets it), a
// submission graded through the real api and worker whose container probes the host
// (test/docker/probe.py) still finds the host closed, and the rules end above the ACCEPT. The
// earlier code saw both rules present (`-C`) and graded with the host open.
jest.setTimeout(420_000);

const PROBE = readFileSync(path.join(__dirname, 'probe.py'), 'utf8');

let stack: Stack;
let labsDir: string;
let hostService: Server;
let hostPort: number;
let shadow: ShadowRule | undefined;
beforeAll(async () => {
  // a service on the host listening on every address, IPv4 and IPv6 (link-local too), like a database or a kubelet would
  // (a probe that reaches it hangs up at once: that reset is not this test's error)
  hostService = createServer((socket) => socket.on('error', () => undefined).end('host-service\n'));
  await new Promise<void>((resolve) => hostService.listen(0, '::', resolve));
  hostPort = (hostService.address() as AddressInfo).port;
  shadow = new ShadowRule('isolation-api', hostPort);
  labsDir = labsFolder([path.join(__dirname, 'hostile-labs', 'hostile-net')]);
  stack = await startStack('docker_sbnet_isolation', { redisDb: 7, workers: 1, labsDir });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(async () => {
  shadow?.remove();
  await stack?.stop();
  hostService?.close();
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
});

it('an ACCEPT inserted above the rules: the worker puts them back on top before grading, and the container does not reach the host', async () => {
  try {
    shadow!.insert();
    const args = [
      `HOST=@gw4:${hostPort},${hostAddress()}:${hostPort}`,
      `LINK-LOCAL-V6=@gw6:${hostPort}`,
      // the lab's other checks, answered at once: no route out of an internal network
      'EGRESS=192.0.2.1:80',
      'LAN=198.51.100.1:80',
      '--reach',
      'PEER=http://web/~Welcome to nginx',
    ];
    // JSON is YAML; $ is Compose's interpolation (the probe has none)
    const compose = `services:\n  app:\n    image: python:3.10-slim\n    command: ${JSON.stringify(['python3', '-c', PROBE, '--hold', ...args])}\n  web:\n    image: nginx:1.21\n`;
    const client = stack.client('student1');
    const { id } = await client.submitJson({ lab: 'hostile-net', files: { 'compose.yaml': compose } });
    const view = await client.waitForResult(id, 400_000);
    expect([view.state, view.error ?? null]).toEqual(['graded', null]);
    // the probe's verdict line in the evidence names what it reached, should it reach the host
    const host = view.checks.filter((c) => ['no-host', 'no-link-local-v6'].includes(c.checkId));
    const said = (evidence?: string) => /(?:HOST|LINK-LOCAL-V6)-[A-Z]+.*/.exec(evidence ?? '')?.[0] ?? '';
    expect(host.map((c) => `${c.checkId} ${c.status} ${said(c.evidence)}`)).toEqual(host.map((c) => `${c.checkId} pass ${said(c.evidence)}`));
    expect(host).toHaveLength(2);
    for (const bin of ['iptables', 'ip6tables']) {
      const rules = listing(bin, 'INPUT');
      const at = (rule: string) => rules.indexOf(`-A INPUT ${rule}`);
      expect([bin, at(HOST_REPLIES) >= 0, at(HOST_REPLIES) < at(HOST_DROP), at(HOST_DROP) < shadow!.at(bin)]).toEqual([bin, true, true, true]);
    }
  } finally {
    shadow!.remove();
  }
});
