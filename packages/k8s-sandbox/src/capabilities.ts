import { ApiregistrationV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, StorageV1Api } from '@kubernetes/client-node';
import { messageOf } from './errors';
import { Sandboxes } from './namespace';

/** What a lab may need from the cluster beyond plain workloads (declared in its lab.yaml). */
export const capabilities = ['defaultStorageClass', 'ingressClass', 'loadBalancer', 'metricsServer', 'ebsStorageClass', 'efsStorageClass', 'albIngressClass'] as const;
export type Capability = (typeof capabilities)[number];
export interface CapabilityStatus {
  available: boolean;
  /** Why, in words an operator can act on. */
  reason: string;
  /** false when the probe could not even ask (an API error): the answer is not known, ask again */
  conclusive?: boolean;
}

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
const METRICS_API = 'v1beta1.metrics.k8s.io';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function defaultStorageClass(kc: KubeConfig): Promise<CapabilityStatus> {
  const classes = (await kc.makeApiClient(StorageV1Api).listStorageClass()).items;
  const def = classes.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS] === 'true');
  if (def) return { available: true, reason: `default StorageClass ${def.metadata?.name} (${def.provisioner})` };
  return { available: false, reason: `no StorageClass is annotated ${DEFAULT_CLASS}=true (${classes.length} classes)` };
}

async function ingressClass(kc: KubeConfig): Promise<CapabilityStatus> {
  const classes = (await kc.makeApiClient(NetworkingV1Api).listIngressClass()).items;
  if (!classes.length) return { available: false, reason: 'the cluster has no IngressClass (no ingress controller installed)' };
  const def = classes.find((c) => c.metadata?.annotations?.[DEFAULT_INGRESS_CLASS] === 'true');
  const names = classes.map((c) => c.metadata?.name).join(', ');
  return { available: true, reason: def ? `IngressClasses ${names}; default ${def.metadata?.name}` : `IngressClasses ${names}; none is the default` };
}

/**
 * The EKS exercises' classes by their AWS names: `gp2` (EBS, on every EKS cluster), `efs-sc` (EFS,
 * made in E15) and the IngressClass `alb` (the AWS Load Balancer Controller's) — on the local
 * cluster, kadai's stand-ins of the same names (infra/cluster/manifests/addons.yaml).
 */
async function namedClass(kc: KubeConfig, what: 'StorageClass' | 'IngressClass', name: string): Promise<CapabilityStatus> {
  const classes = what === 'StorageClass' ? (await kc.makeApiClient(StorageV1Api).listStorageClass()).items : (await kc.makeApiClient(NetworkingV1Api).listIngressClass()).items;
  const found = classes.find((c) => c.metadata?.name === name);
  const by = (c: (typeof classes)[number]) => ('provisioner' in c ? c.provisioner : c.spec?.controller) ?? '?';
  if (found) return { available: true, reason: `${what} ${name} (${by(found)})` };
  return { available: false, reason: `no ${what} named ${name} (${classes.map((c) => c.metadata?.name).join(', ') || 'none'})` };
}

async function metricsServer(kc: KubeConfig): Promise<CapabilityStatus> {
  const service = await kc.makeApiClient(ApiregistrationV1Api).readAPIService({ name: METRICS_API });
  const available = service.status?.conditions?.find((c) => c.type === 'Available');
  if (available?.status === 'True') return { available: true, reason: `${METRICS_API} is Available` };
  return { available: false, reason: `${METRICS_API} is not Available: ${available?.message ?? 'no condition yet'}` };
}

/** A LoadBalancer Service in a throwaway attempt namespace must get an address. */
async function loadBalancer(kc: KubeConfig, sandboxes: Sandboxes, timeoutMs: number): Promise<CapabilityStatus> {
  const sandbox = await sandboxes.create({ submissionId: 'capability-probe', runId: 'load-balancer', leaseMs: timeoutMs + 60_000 });
  try {
    await sandbox.apply([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'probe' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } as never]);
    const core = kc.makeApiClient(CoreV1Api);
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
      const ingress = (await core.readNamespacedService({ name: 'probe', namespace: sandbox.name })).status?.loadBalancer?.ingress?.[0];
      if (ingress) return { available: true, reason: `a LoadBalancer Service got ${ingress.ip ?? ingress.hostname}` };
    }
    return { available: false, reason: `a LoadBalancer Service got no address within ${timeoutMs} ms (no load-balancer implementation?)` };
  } finally {
    await sandbox.destroy();
  }
}

/**
 * Checks at start-up what the cluster offers. A probe that cannot even ask reports the capability
 * unavailable with the API's answer as the reason: the labs needing it are unavailable, no
 * student is failed for it.
 */
export async function probeCapabilities(kc: KubeConfig, sandboxes: Sandboxes, options: { loadBalancerTimeoutMs?: number } = {}): Promise<Record<Capability, CapabilityStatus>> {
  const guarded = (p: Promise<CapabilityStatus>): Promise<CapabilityStatus> => p.catch((err: unknown) => ({ available: false, conclusive: false, reason: `could not check: ${messageOf(err)}` }));
  const [storage, ingress, lb, metrics, ebs, efs, alb] = await Promise.all([
    guarded(defaultStorageClass(kc)),
    guarded(ingressClass(kc)),
    guarded(loadBalancer(kc, sandboxes, options.loadBalancerTimeoutMs ?? 20_000)),
    guarded(metricsServer(kc)),
    guarded(namedClass(kc, 'StorageClass', 'gp2')),
    guarded(namedClass(kc, 'StorageClass', 'efs-sc')),
    guarded(namedClass(kc, 'IngressClass', 'alb')),
  ]);
  return { defaultStorageClass: storage, ingressClass: ingress, loadBalancer: lb, metricsServer: metrics, ebsStorageClass: ebs, efsStorageClass: efs, albIngressClass: alb };
}
