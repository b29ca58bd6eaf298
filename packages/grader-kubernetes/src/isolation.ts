import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError } from '@kadai/errors';
import { messageOf, type CapabilityStatus, type ObjectClient, type Sandboxes } from '@kadai/k8s-sandbox';
import { ProbePod, type ProbeSettings } from './probe/pod';
import type { ProbeLine } from './probe/output';

/** A small HTTP server of the courses' own (the local registry has its stand-in). */
const SERVER_IMAGE = 'kicbase/echo-server:1.0';
const SERVER = 'kadai-isolation-server';
const SERVER_PORT = 8080;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The check's answer; an inconclusive one (nothing could be observed: Pods not ready, no connection at all) is asked again at once. */
export interface IsolationStatus extends CapabilityStatus {
  conclusive: boolean;
}

/** The namespaces of one isolation check: a server's, and another attempt's that must not reach it. */
export interface IsolationPair {
  server: string;
  outsider: string;
}

const reached = (line: ProbeLine) => line.status > 0;
const said = (line: ProbeLine) => (line.status > 0 ? `HTTP ${line.status}` : (line.error ?? 'no answer'));

/**
 * Whether the cluster keeps attempts apart, observed rather than assumed: a server Pod in one
 * attempt namespace answers kadai's probe in its own namespace (so the check can see a connection
 * at all), but not a probe in another attempt namespace, which reaches the API server neither. What
 * makes that hold — NetworkPolicy enforcement (on the local cluster: the NFQUEUE rule and the
 * kube-network-policies evaluator) and the host firewall — is exactly what this tests, whatever
 * implements it on a given cluster.
 */
export async function checkIsolation(kc: KubeConfig, client: ObjectClient, pair: IsolationPair, probe: ProbeSettings, timeoutMs = 120_000): Promise<IsolationStatus> {
  const deadline = Date.now() + timeoutMs;
  const inside = new ProbePod(kc, client, pair.server, { readyTimeoutMs: timeoutMs, ...probe });
  const outside = new ProbePod(kc, client, pair.outsider, { readyTimeoutMs: timeoutMs, ...probe });
  const [address] = await Promise.all([startServer(client, pair.server, deadline), inside.ready(), outside.ready()]);
  const url = `http://${address}:${SERVER_PORT}/`;
  // the evaluator learns a new Pod's address a moment after the API does: the allowed side is retried
  let own = await inside.get({ url, timeoutMs: 2000 });
  while (!reached(own) && Date.now() < deadline) {
    await sleep(500);
    own = await inside.get({ url, timeoutMs: 2000 });
  }
  if (!reached(own)) return { available: false, conclusive: false, reason: `cannot tell: kadai's probe did not reach a Pod of its own namespace either (${said(own)})` };
  const across = await outside.get({ url, timeoutMs: 3000 });
  if (reached(across)) return { available: false, conclusive: true, reason: `a Pod of another attempt's namespace reached an attempt's Pod (${said(across)}): NetworkPolicy is not enforced on this cluster` };
  // an HTTP request to the TLS port: any answer at all (400) means the connection was made
  const api = await outside.get({ url: 'http://kubernetes.default.svc:443/', timeoutMs: 3000 });
  if (reached(api)) return { available: false, conclusive: true, reason: `an attempt's Pod reached the API server (${said(api)}): attempt Pods are not kept from the cluster's own services` };
  return { available: true, conclusive: true, reason: `attempts are kept apart: another namespace's Pod and the API server unreachable (${said(across)}; ${said(api)}), the same namespace's reachable` };
}

async function startServer(client: ObjectClient, namespace: string, deadline: number): Promise<string> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: SERVER, namespace, labels: { app: SERVER } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['kwok'] }] }] } } },
      containers: [{ name: 'server', image: SERVER_IMAGE, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: SERVER_PORT }], resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } } }],
    },
  };
  await client.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body: pod });
  for (;;) {
    const seen = await client.read<KubernetesObject & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>(pod as KubernetesObject);
    if (seen.status?.podIP && seen.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return seen.status.podIP;
    if (Date.now() > deadline) throw new Error(`the isolation check's server Pod was not Ready in time (${SERVER_IMAGE})`);
    await sleep(250);
  }
}

/** The check in two throwaway attempt namespaces, made and removed as any attempt's. */
export async function probeIsolation(kc: KubeConfig, client: ObjectClient, sandboxes: Sandboxes, probe: ProbeSettings): Promise<IsolationStatus> {
  const made = await Promise.allSettled([0, 1].map((i) => sandboxes.create({ submissionId: 'capability-probe', runId: `isolation-${i}`, leaseMs: 180_000 })));
  try {
    const [server, outsider] = made.map((m) => {
      if (m.status === 'rejected') throw m.reason;
      return m.value.name;
    });
    return await checkIsolation(kc, client, { server: server!, outsider: outsider! }, probe);
  } catch (err) {
    return { available: false, conclusive: false, reason: `could not check: ${messageOf(err)}` };
  } finally {
    await Promise.all(made.map((m) => (m.status === 'fulfilled' ? m.value.destroy().catch(() => undefined) : undefined)));
  }
}

/**
 * The worker grades Kubernetes labs only while attempts are kept apart: the check's answer is kept,
 * a negative one for `recheckMs` only (an evaluator restarting comes back), an inconclusive one not
 * at all (a loaded node's slow Pods must not refuse gradings for a minute), then asked again.
 */
export class IsolationGate {
  private status?: Promise<IsolationStatus>;
  private checkedAt = 0;

  constructor(
    private readonly check: () => Promise<IsolationStatus>,
    private readonly recheckMs = 60_000,
  ) {}

  /** The current answer (checking on first use or when a negative one is stale). */
  async current(): Promise<IsolationStatus> {
    if (this.status) {
      const known = await this.status;
      if (known.available || (known.conclusive && Date.now() - this.checkedAt < this.recheckMs)) return known;
    }
    this.checkedAt = Date.now();
    const checking = this.check().catch((err: unknown) => ({ available: false, conclusive: false, reason: `could not check: ${messageOf(err)}` }));
    this.status = checking;
    return checking;
  }

  /** Throws kadai's (retryable) error when attempts are not kept apart: no grading without isolation. */
  async require(): Promise<void> {
    const status = await this.current();
    if (!status.available) throw new InfrastructureError(`this cluster does not keep attempts apart, so kadai grades no Kubernetes lab on it: ${status.reason}`, true);
  }
}
