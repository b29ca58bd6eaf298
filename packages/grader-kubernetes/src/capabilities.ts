import type { KubeConfig } from '@kubernetes/client-node';
import type { KUBERNETES_CAPABILITIES } from '@kadai/catalog';
import { probeCapabilities, type CapabilityStatus, type Sandboxes } from '@kadai/k8s-sandbox';

export type LabCapability = (typeof KUBERNETES_CAPABILITIES)[number];

/**
 * What the cluster offers of what labs may require (`kubernetes.requires`): k8s-sandbox's probes,
 * plus `killContainer`, which needs the node's runtime (not offered until a step that uses it brings
 * its own probe).
 */
export async function probeLabCapabilities(kc: KubeConfig, sandboxes: Sandboxes, options: { loadBalancerTimeoutMs?: number } = {}): Promise<Record<LabCapability, CapabilityStatus>> {
  const probed = await probeCapabilities(kc, sandboxes, options);
  return { ...probed, killContainer: { available: false, reason: 'kadai cannot kill a container through the node runtime on this cluster yet' } };
}
