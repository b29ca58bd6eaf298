import type { KubernetesObject } from '@kubernetes/client-node';
import { pollUntil, type PollResult } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import type { KubeCheckContext } from './context';
import type { TerminalState } from './evidence';
import type { ResourceRef } from './resources';

export interface Observation {
  objects: KubernetesObject[];
  /** Set when a Pod or ReplicaSet behind the objects is stuck for good (the poll stopped for it). */
  terminal?: TerminalState;
}

export interface WatchOptions {
  timeoutSeconds: number;
  /** Whether what was seen is what the check waits for. */
  holds(objects: KubernetesObject[]): boolean;
  /** The check expects containers to crash (its expectation mentions CrashLoopBackOff or restarts). */
  crashLoopExpected?: boolean;
  /** The check is about a refused Pod creation itself (its expectation names ReplicaFailure or FailedCreate). */
  refusalExpected?: boolean;
  /** Stop at once when a Pod behind the objects is stuck for good (default); off where Pods do not matter (absent). */
  stopWhenStuck?: boolean;
  intervalMs?: number;
  /** Also looked at with every observation, before `holds` is asked (e.g. the Pods behind the objects). */
  observeAlso?(objects: KubernetesObject[]): Promise<void>;
}

/**
 * Polls the objects a reference selects until they hold, the step's time is up, or a Pod behind
 * them is stuck for good (ImagePullBackOff, Unschedulable, an unexpected CrashLoopBackOff) or a
 * workload's Pods are refused for good (Forbidden: refusals.ts) — then it stops at once instead of
 * waiting out the deadline. The last observation is kept for evidence.
 */
export async function watchResource(ctx: KubeCheckContext, ref: ResourceRef, options: WatchOptions): Promise<PollResult<Observation>> {
  // A Service's own state (its ports, its load-balancer address) never waits on its Pods: stuck
  // Pods behind it must not end a check of it at once (a LoadBalancer gets its address anyway).
  const podsMatter = options.stopWhenStuck !== false && ref.kind !== 'Service';
  const result = await pollUntil<Observation>({
    timeoutMs: options.timeoutSeconds * 1000,
    intervalMs: options.intervalMs ?? 500,
    signal: ctx.signal,
    observe: async () => {
      const objects = await ctx.resources.find(ref, ctx.signal);
      await options.observeAlso?.(objects);
      if ((settled(objects) && options.holds(objects)) || !podsMatter) return { objects };
      const refusals = options.refusalExpected ? {} : { refusals: { teachesResources: ctx.definition.kubernetes.teachesResources } };
      const terminal = await ctx.evidence.stuckBehind(objects, { crashLoopExpected: options.crashLoopExpected ?? false, ...refusals }, ctx.signal);
      return terminal ? { objects, terminal } : { objects };
    },
    judge: (seen) => (settled(seen.objects) && options.holds(seen.objects) ? 'done' : seen.terminal ? 'stop' : 'again'),
  });
  // out of time because kadai's nodes or quota had no room: kadai's failure, retried — never the student's
  if (result.ended === 'timeout' && result.last && podsMatter) {
    const kubernetes = ctx.definition.kubernetes;
    const shortage = await ctx.evidence.kadaiShortage(result.last.objects, { ownNodesOnly: kubernetes.nodes.length > 0 && !kubernetes.realNodes });
    if (shortage) throw new InfrastructureError(`waiting for ${ref.kind}${ref.name ? `/${ref.name}` : ''}: ${shortage}`, true);
  }
  return result;
}

/** Kinds whose controller always reports the generation it has seen (`status.observedGeneration`). */
const GENERATION_TRACKING = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

/**
 * Whether the controllers have seen the objects' latest spec: right after a change a Deployment's
 * status still describes the old template (observedGeneration < generation), and right after it
 * was made it has no status at all; a check on either would pass or fail for the wrong rollout.
 * Kinds whose status says nothing of the generation (Pods on older API servers, Services, claims)
 * are taken as they are.
 */
export function settled(objects: readonly KubernetesObject[]): boolean {
  return objects.every((o) => {
    const observed = (o as { status?: { observedGeneration?: number } }).status?.observedGeneration;
    const generation = o.metadata?.generation;
    if (observed === undefined) return generation === undefined || !GENERATION_TRACKING.has(o.kind ?? '');
    return generation === undefined || observed >= generation;
  });
}

/** Whether a check's expectation is about crashing containers (then CrashLoopBackOff is no reason to stop). */
export const expectsCrashLoop = (spec: unknown): boolean => /CrashLoopBackOff|restartCount/.test(JSON.stringify(spec));
