import type { KubernetesObject } from '@kubernetes/client-node';
import { pollUntil, type PollResult } from '@kadai/checks';
import type { KubeCheckContext } from './context';
import type { ResourceRef } from './resources';
import { watchResource, type Observation } from './watch';

interface PodStatus extends KubernetesObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export const isReady = (pod: KubernetesObject): boolean =>
  (pod as PodStatus).metadata?.deletionTimestamp === undefined && (pod as PodStatus).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * The Pods a step acts on for a reference: the Pods it selects, or the current Pods of the
 * workloads or Services it names — a Deployment's from its current ReplicaSet only and none being
 * deleted, so that a step after a rollout never runs in (or reads) a Pod of the old template.
 */
export const currentPodsOf = (ctx: KubeCheckContext, ref: ResourceRef, objects: KubernetesObject[]): Promise<KubernetesObject[]> =>
  ref.kind === 'Pod' ? Promise.resolve(objects) : ctx.evidence.livePodsOf(objects, ctx.signal);

/**
 * The Pods a reference stands for (`currentPodsOf`), polled until one is Ready (or one is stuck
 * for good) and the workloads' controllers have seen their latest spec; `ready` lists the Ready ones.
 */
export async function readyPods(ctx: KubeCheckContext, ref: ResourceRef, timeoutSeconds: number): Promise<{ polled: PollResult<Observation>; ready: KubernetesObject[] }> {
  let pods: KubernetesObject[] = [];
  const polled = await watchResource(ctx, ref, {
    timeoutSeconds,
    holds: () => pods.some(isReady),
    observeAlso: async (objects) => {
      pods = await currentPodsOf(ctx, ref, objects);
    },
  });
  return { polled, ready: pods.filter(isReady) };
}

const ownerOf = (pod: KubernetesObject) => pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];

export interface Replacement {
  /** The new Pod, Ready; undefined when none came in time. */
  pod?: KubernetesObject;
  /** What happened, as evidence rows. */
  rows: string[];
}

/**
 * Deletes a Pod (as kadai) and waits for its replacement to be Ready: a new Pod (new UID) of the
 * same controller — or, for a bare Pod, `recreate` makes it again once the old one is gone.
 */
export async function deleteAndReplace(ctx: KubeCheckContext, pod: KubernetesObject, timeoutSeconds: number, recreate?: () => Promise<void>): Promise<Replacement> {
  const name = pod.metadata?.name ?? '';
  const uid = pod.metadata?.uid;
  const owner = ownerOf(pod);
  const rows = [`deleted Pod ${name} (uid ${uid ?? '?'}${owner ? `, owned by ${owner.kind}/${owner.name}` : ', no owner'})`];
  await ctx.client.delete(pod, { signal: ctx.signal });
  const started = Date.now();
  if (!owner) {
    if (!recreate) return { rows: [...rows, 'no controller replaces a bare Pod'] };
    const gone = await pollUntil({ timeoutMs: timeoutSeconds * 1000, intervalMs: 500, signal: ctx.signal, observe: () => ctx.resources.find({ kind: 'Pod', name }, ctx.signal), judge: (seen) => (seen.length === 0 ? 'done' : 'again') });
    if (!gone.ok) return { rows: [...rows, `Pod ${name} was still there after ${timeoutSeconds} s`] };
    await recreate();
    rows.push(`Pod ${name} applied again from the submission`);
  }
  const labels = { ...(pod.metadata?.labels ?? {}) };
  const remaining = Math.max(1, timeoutSeconds - Math.round((Date.now() - started) / 1000));
  const replaced = await pollUntil({
    timeoutMs: remaining * 1000,
    intervalMs: 500,
    signal: ctx.signal,
    observe: () => ctx.resources.find(owner ? { kind: 'Pod', selector: labels } : { kind: 'Pod', name }, ctx.signal),
    judge: (seen) => (seen.some((p) => p.metadata?.uid !== uid && isReady(p) && (!owner || ownerOf(p)?.uid === owner.uid)) ? 'done' : 'again'),
  });
  const replacement = replaced.last?.find((p) => p.metadata?.uid !== uid && isReady(p) && (!owner || ownerOf(p)?.uid === owner.uid));
  if (!replacement) return { rows: [...rows, `no Ready replacement within ${remaining} s (seen: ${(replaced.last ?? []).map((p) => p.metadata?.name).join(', ') || 'none'})`] };
  rows.push(`replacement Pod ${replacement.metadata?.name} (uid ${replacement.metadata?.uid}) Ready after ${Math.round((Date.now() - started) / 1000)} s`);
  return { pod: replacement, rows };
}
