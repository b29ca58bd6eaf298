import { InfrastructureError } from '@kadai/errors';
import { defaultLimits, MANAGED_BY, RUN_LABEL, type SandboxLimits } from '@kadai/k8s-sandbox';
import { parseQuantity } from '@kadai/k8s-vetting';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';

/** kwok's simulated nodes (the local cluster's, and each scheduling attempt's own) run nothing real. */
const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** One grading cluster's free capacity, or why it could not be measured. */
export type ClusterCapacity = { freeMillicores: number } | { error: string };

/**
 * The CPU a cluster has left for kadai's attempts: the allocatable CPU of its Ready, schedulable,
 * real nodes, less the CPU quota (requests) of every live attempt namespace — kadai's, whichever
 * worker made it. Read with what the fenced worker identity may read (nodes and namespaces): other
 * tenants' Pods are not counted, so a shared cluster's figure is an upper bound.
 */
export async function measureCapacity(kc: KubeConfig, limits: SandboxLimits = defaultLimits): Promise<ClusterCapacity> {
  try {
    const core = kc.makeApiClient(CoreV1Api);
    const [nodes, attempts] = await Promise.all([
      core.listNode(),
      core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value},${RUN_LABEL}` }),
    ]);
    const allocatable = nodes.items.filter(usableNode).reduce((sum, node) => sum + millicores(node.status?.allocatable?.cpu), 0);
    const live = attempts.items.filter((ns) => ns.status?.phase !== 'Terminating').length;
    return { freeMillicores: allocatable - live * millicores(limits.cpu.requests) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function usableNode(node: V1Node): boolean {
  if (node.metadata?.annotations?.[FAKE_NODE_ANNOTATION] || node.spec?.unschedulable) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const millicores = (quantity: string | undefined) => Math.round((parseQuantity(quantity) ?? 0) * 1000);

/**
 * The cluster an attempt goes to: the one with the most free capacity; on a tie the first listed
 * (so one cluster fills evenly before the order matters). Clusters that could not be measured are
 * passed over; when none could, the attempt fails as kadai's (retried), naming each cluster's error.
 */
export function chooseCluster(capacities: readonly { name: string; capacity: ClusterCapacity }[]): number {
  let best = -1;
  let bestFree = -Infinity;
  capacities.forEach(({ capacity }, index) => {
    if ('freeMillicores' in capacity && capacity.freeMillicores > bestFree) {
      best = index;
      bestFree = capacity.freeMillicores;
    }
  });
  if (best < 0) {
    const why = capacities.map(({ name, capacity }) => `${name}: ${'error' in capacity ? capacity.error : 'not measured'}`).join('; ');
    throw new InfrastructureError(`no grading cluster answers (${why})`, true);
  }
  return best;
}
