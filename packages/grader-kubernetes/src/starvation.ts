import type { KubernetesObject } from '@kubernetes/client-node';
import { parseQuantity } from '@kadai/k8s-vetting';

/**
 * Whose a Pod's wait for a node is: the student's (their selector, taint, affinity or requests),
 * a volume still being provisioned (passes by itself), or kadai's own capacity (the shared nodes
 * are full of other attempts' Pods) — which must never be graded as the student's.
 */
export type UnschedulableCause = 'student' | 'provisioning' | 'capacity';

export interface SchedulingFacts {
  /** The lab puts the attempt's Pods on nodes of its own only (`kubernetes.nodes` without `realNodes`): nothing else runs there. */
  ownNodesOnly: boolean;
  /** The Pod's request of this resource is more than any node it may run on has allocatable at all. */
  exceedsEveryNode(resource: string): boolean;
}

const INSUFFICIENT = /Insufficient ([a-z-]+)/g;

/**
 * Decided from the scheduler's message (`0/4 nodes are available: 1 Insufficient cpu, 3 node(s)
 * had untolerated taint(s).`) and the lab: "Insufficient" on an attempt's own nodes, or for a
 * request no node could ever hold (chapter 7's lesson), is the student's; on shared nodes that
 * could hold it when empty, it is other attempts' load — kadai's. Anything else the scheduler says
 * (selectors, taints, affinity) is about the Pod as written: the student's.
 */
export function unschedulableCause(message: string, facts: SchedulingFacts): UnschedulableCause {
  if (/unbound immediate PersistentVolumeClaims/.test(message)) return 'provisioning';
  const short = [...message.matchAll(INSUFFICIENT)].map((m) => m[1]!);
  if (!short.length || facts.ownNodesOnly) return 'student';
  return short.some((r) => facts.exceedsEveryNode(r)) ? 'student' : 'capacity';
}

interface PodResources {
  spec?: { containers?: Container[]; initContainers?: Container[] };
}
interface Container {
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}
interface NodeLike extends KubernetesObject {
  status?: { allocatable?: Record<string, string> };
}

/** A Pod's request of one resource as the scheduler counts it: its containers' sum, or its largest init container if more. */
export function podRequest(pod: KubernetesObject, resource: string): number {
  const of = (c: Container) => parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]) ?? 0;
  const spec = (pod as PodResources).spec;
  const sum = (spec?.containers ?? []).reduce((total, c) => total + of(c), 0);
  return Math.max(sum, ...(spec?.initContainers ?? []).map(of));
}

/** The most any of these nodes can allocate of a resource (0 when none says). */
export function largestAllocatable(nodes: readonly KubernetesObject[], resource: string): number {
  return Math.max(0, ...nodes.map((n) => parseQuantity((n as NodeLike).status?.allocatable?.[resource]) ?? 0));
}
