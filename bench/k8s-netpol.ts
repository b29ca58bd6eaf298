import { readFileSync } from 'node:fs';
import { apply, deleteNamespace, echoAppManifest, kubectl, kubectlJson, makeNamespace, NODE_IP, probePodManifest } from '../test/cluster/kube';
import { percentile, writeResult } from './lib/result';

/**
 * What NetworkPolicy enforcement costs on the local cluster (infra/cluster/lib/firewall.sh: the first
 * packet of each Pod-to-Pod connection goes to kube-network-policies through NFQUEUE 100).
 * - connectMs: one TCP connect from a Pod to a policy-guarded Pod of its namespace (every one a
 *   queued verdict: the queue's packet counter is read before and after), against one to the
 *   ingress controller's host port (never queued), in rounds of `connects` back to back.
 * - newbornWindowMs: for how long a brand-new Pod's connections to a guarded Pod of its own
 *   namespace are dropped, since the evaluator knows a Pod only once its address is in the API
 *   (a connection tried every 100 ms from the container's start; /proc/uptime, 10 ms steps).
 * Usage (root, cluster up): npx tsx bench/k8s-netpol.ts [connects per round, default 500] [rounds, default 5] [new Pods, default 5]
 */
const connects = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 5);
const newborns = Number(process.argv[4] ?? 5);
const QUEUE = '100';

const sameNamespaceOnly = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-namespace-only}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
`;

/** Packets the queue has handed out so far (nfnetlink_queue's id sequence). */
function queued(): number {
  const line = readFileSync('/proc/net/netfilter/nfnetlink_queue', 'utf8').split('\n').find((l) => l.trim().split(/\s+/)[0] === QUEUE);
  if (!line) throw new Error(`NFQUEUE ${QUEUE} has no listener: is kube-network-policies running?`);
  return Number(line.trim().split(/\s+/)[7]);
}

/** Seconds busybox's `time` reports for `connects` connects to host:port from the probe Pod. */
async function timeConnects(ns: string, host: string, port: number): Promise<number> {
  const loop = `i=0; while [ $i -lt ${connects} ]; do nc -z -w 3 ${host} ${port} || exit 1; i=$((i+1)); done`;
  const out = await kubectl(['exec', '-n', ns, 'probe', '--', 'sh', '-c', `time sh -c '${loop}' 2>&1`]);
  const real = /real\s+(?:(\d+)m\s*)?([\d.]+)s/.exec(out);
  if (!real) throw new Error(`no timing in: ${out}`);
  return Number(real[1] ?? 0) * 60 + Number(real[2]);
}

async function newbornWindow(ns: string, target: string, name: string): Promise<number> {
  const script = `s=$(cut -d' ' -f1 /proc/uptime); echo "start $s"; i=0; while [ $i -lt 40 ]; do (nc -z -w 1 ${target} 8080 && echo "ok $(cut -d' ' -f1 /proc/uptime)") & sleep 0.1; i=$((i+1)); done; wait`;
  await apply(ns, `{apiVersion: v1, kind: Pod, metadata: {name: ${name}}, spec: {restartPolicy: Never, terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox:1.36, command: [sh, -c, ${JSON.stringify(script)}]}]}}`);
  await kubectl(['wait', '-n', ns, '--for=jsonpath={.status.phase}=Succeeded', `pod/${name}`, '--timeout=120s']);
  const log = await kubectl(['logs', '-n', ns, name]);
  const start = Number(/start ([\d.]+)/.exec(log)?.[1]);
  const firstOk = Math.min(...[...log.matchAll(/ok ([\d.]+)/g)].map((m) => Number(m[1])));
  if (!Number.isFinite(start) || !Number.isFinite(firstOk)) throw new Error(`${name} never connected: ${log}`);
  return Math.round((firstOk - start) * 1000);
}

async function main(): Promise<void> {
  const ns = await makeNamespace('bench-netpol');
  try {
    await apply(ns, `${echoAppManifest('echo')}---${probePodManifest('probe')}---${sameNamespaceOnly}`);
    await kubectl(['rollout', 'status', '-n', ns, 'deployment/echo', '--timeout=180s']);
    await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/probe', '--timeout=180s']);
    const echo = (await kubectlJson(['get', 'pods', '-n', ns, '-l', 'app=echo'])).items[0].status.podIP as string;

    const viaQueue: number[] = [];
    const hostPort: number[] = [];
    let verdicts = 0;
    for (let r = 0; r < rounds; r++) {
      const before = queued();
      viaQueue.push((await timeConnects(ns, echo, 8080)) * 1000 / connects);
      verdicts += queued() - before;
      hostPort.push((await timeConnects(ns, NODE_IP, 8000)) * 1000 / connects);
    }
    const windows: number[] = [];
    for (let i = 0; i < newborns; i++) windows.push(await newbornWindow(ns, echo, `newborn-${i}`));

    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b).map((x) => Math.round(x * 1000) / 1000);
    writeResult('k8s-netpol', {
      setup: `local cluster (infra/cluster), one namespace with a same-namespace-only NetworkPolicy; busybox nc -z from a Pod; ${rounds} rounds of ${connects} connects; ${newborns} new Pods`,
      connectMs: {
        podViaEvaluator: { perRound: sorted(viaQueue), p50: percentile(sorted(viaQueue), 50) },
        hostPortNotQueued: { perRound: sorted(hostPort), p50: percentile(sorted(hostPort), 50) },
        verdictsSeen: verdicts,
        connectsMade: rounds * connects,
      },
      newbornWindowMs: { perPod: sorted(windows), max: Math.max(...windows) },
    });
  } finally {
    await deleteNamespace(ns);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
