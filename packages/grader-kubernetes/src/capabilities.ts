import type { KubeConfig } from '@kubernetes/client-node';
import type { KUBERNETES_CAPABILITIES } from '@kadai/catalog';
import { probeCapabilities, type CapabilityStatus, type Sandboxes } from '@kadai/k8s-sandbox';
import { probeNodeRuntime, type NodeRuntime } from './runtime';

export type LabCapability = (typeof KUBERNETES_CAPABILITIES)[number];

/**
 * What the cluster offers of what labs may require (`kubernetes.requires`): k8s-sandbox's probes,
 * plus `killContainer`, which needs the node's container runtime on this worker (runtime.ts).
 */
export async function probeLabCapabilities(kc: KubeConfig, sandboxes: Sandboxes, options: { loadBalancerTimeoutMs?: number; nodeRuntime?: NodeRuntime } = {}): Promise<Record<LabCapability, CapabilityStatus>> {
  const [probed, killContainer] = await Promise.all([probeCapabilities(kc, sandboxes, options.loadBalancerTimeoutMs ? { loadBalancerTimeoutMs: options.loadBalancerTimeoutMs } : {}), probeNodeRuntime(options.nodeRuntime)]);
  return { ...probed, killContainer };
}
