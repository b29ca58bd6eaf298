import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef, resourceRef } from '../resources';
import { watchResource } from '../watch';
import { failedPoll } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    /** Scheduled on the attempt's node of this (course) name. */
    node: z.string().min(1).optional(),
    /** Scheduled, but not on this node. */
    notNode: z.string().min(1).optional(),
    /** Scheduled on a node that has these labels. */
    nodeLabels: z.record(z.string(), z.string()).optional(),
    /** Not scheduled: Pending, the scheduler's PodScheduled condition False (Unschedulable). */
    pending: z.literal(true).optional(),
    /** With pending: the scheduler's message (as in its FailedScheduling event) contains this. */
    messageContains: z.string().min(1).optional(),
    /** Exactly this many Pods are selected (those being deleted not counted). */
    count: z.number().int().min(0).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.resource.kind !== 'Pod') ctx.addIssue({ code: 'custom', path: ['resource', 'kind'], message: 'placement looks at Pods: kind: Pod with a name or a selector' });
    const scheduled = spec.node !== undefined || spec.notNode !== undefined || spec.nodeLabels !== undefined;
    if (scheduled === (spec.pending === true)) ctx.addIssue({ code: 'custom', path: ['node'], message: 'expect a placement (node, notNode, nodeLabels) or pending: true (one of them)' });
    if (spec.messageContains !== undefined && !spec.pending) ctx.addIssue({ code: 'custom', path: ['messageContains'], message: 'messageContains goes with pending: true' });
  });
type PlacementSpec = z.infer<typeof fields>;

interface Seen {
  ok: boolean;
  actual: string;
}

/**
 * `placement` (scheduling labs): where the scheduler really put each selected Pod, by the course's
 * node names — on a node, not on a node, on a node with labels — or that it left it Pending with
 * the scheduler's reason. Polled: scheduling, eviction and re-creation take a moment.
 */
export const placementStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const nodes = ctx.nodes;
    if (!nodes) throw new InfrastructureError(`lab ${ctx.definition.id} uses placement but declares no kubernetes.nodes`, false);
    let labels = new Map<string, Record<string, string>>();
    const judge = (pod: V1Pod): Seen => seen(spec, pod, nodes.courseName(pod.spec?.nodeName), labels);
    const live = (objects: KubernetesObject[]) => (objects as V1Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    const polled = await watchResource(ctx, spec.resource, {
      timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS,
      stopWhenStuck: false,
      observeAlso: async () => {
        labels = new Map((await nodes.list(ctx.signal)).map((n: V1Node) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]));
      },
      holds: (objects) => {
        const pods = live(objects);
        return pods.length > 0 && (spec.count === undefined || pods.length === spec.count) && pods.every((p) => judge(p).ok);
      },
    });
    const pods = live(polled.last?.objects ?? []);
    const wanted = expectation(spec);
    const rows = [
      ...(spec.count !== undefined ? [row('Pods', pods.length === spec.count, String(spec.count), String(pods.length))] : []),
      ...(pods.length ? pods.map((p) => row(`Pod/${p.metadata?.name ?? ''}`, judge(p).ok, wanted, judge(p).actual)) : [row(describeRef(spec.resource), false, 'exists', '(not found)')]),
    ].join('\n');
    const what = describeRef(spec.resource);
    if (polled.ok) return pass(`${what}: ${wanted}`, `${what}: ${wanted}`, rows);
    return failedPoll(ctx, { ...polled, last: polled.last ? { objects: pods } : undefined }, { ja: `${what} の配置が期待と違います (期待: ${wanted})。`, en: `${what} is not placed as expected (expected: ${wanted}).` }, rows);
  },
});

function expectation(spec: PlacementSpec): string {
  if (spec.pending) return `Pending (Unschedulable${spec.messageContains ? `: "${spec.messageContains}"` : ''})`;
  return [spec.node && `on ${spec.node}`, spec.notNode && `not on ${spec.notNode}`, spec.nodeLabels && `on a node with ${Object.entries(spec.nodeLabels).map(([k, v]) => `${k}=${v}`).join(',')}`].filter(Boolean).join(', ');
}

function seen(spec: PlacementSpec, pod: V1Pod, courseName: string | undefined, labels: ReadonlyMap<string, Record<string, string>>): Seen {
  const nodeName = pod.spec?.nodeName;
  if (spec.pending) {
    const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const message = condition?.message ?? '';
    const ok = !nodeName && condition?.status === 'False' && condition.reason === 'Unschedulable' && (spec.messageContains === undefined || message.includes(spec.messageContains));
    return { ok, actual: nodeName ? `scheduled on ${courseName ?? nodeName}` : condition ? `Pending: ${condition.reason ?? ''} ${message}`.trim() : 'Pending, not yet seen by the scheduler' };
  }
  if (!nodeName) {
    const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return { ok: false, actual: `Pending${condition?.message ? `: ${condition.message}` : ''}` };
  }
  const on = courseName ?? nodeName;
  const nodeLabels = labels.get(nodeName) ?? {};
  const ok =
    (spec.node === undefined || courseName === spec.node) &&
    (spec.notNode === undefined || courseName !== spec.notNode) &&
    Object.entries(spec.nodeLabels ?? {}).every(([k, v]) => nodeLabels[k] === v);
  return { ok, actual: `on ${on}` };
}
