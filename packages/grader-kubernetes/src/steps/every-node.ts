import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { KWOK_TYPE_LABEL } from '@kadai/k8s-nodes';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef, readError, resourceRef } from '../resources';
import { watchResource } from '../watch';
import { failedPoll } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    /** The attempt's nodes (course names) that must each run exactly one of the Pods. */
    nodes: z.array(z.string().min(1)).min(1),
    /** Each of the cluster's real nodes a Pod may be scheduled on runs one too (the lab has `kubernetes.realNodes`). */
    realNodes: z.boolean().default(false),
  })
  .refine((spec) => spec.resource.kind === 'Pod', { message: 'everyNode looks at Pods: kind: Pod with a selector', path: ['resource', 'kind'] });

/** The taints of a real node that keep a DaemonSet's Pods away (the controller tolerates the node.kubernetes.io/* conditions). */
const blocks = (node: V1Node) => (node.spec?.taints ?? []).some((t) => t.effect !== 'PreferNoSchedule' && !t.key.startsWith('node.kubernetes.io/'));
const REAL = '(real node)';

/**
 * `everyNode` (scheduling labs, E10's DaemonSet): the selected Pods run exactly one on each of these
 * nodes of the attempt — and, with `realNodes`, one on each real node without a taint that keeps
 * Pods away — and on no other node: not on a node held back, nor on one whose taint they do not
 * tolerate. Polled: the controller makes and kwok reports the Pods within a moment.
 */
export const everyNodeStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const nodes = ctx.nodes;
    if (!nodes) throw new InfrastructureError(`lab ${ctx.definition.id} uses everyNode but declares no kubernetes.nodes`, false);
    let real: string[] = [];
    if (spec.realNodes) {
      const listed = await ctx.client.list<V1Node>('v1', 'Node', '', { labelSelector: `${KWOK_TYPE_LABEL.key}!=${KWOK_TYPE_LABEL.value}`, signal: ctx.signal }).catch((err: unknown) => {
        throw readError('listing the real nodes', err);
      });
      real = listed.filter((n) => !blocks(n)).map((n) => n.metadata?.name ?? '');
    }
    const expected = [...spec.nodes, ...real.map(() => REAL)].sort();
    const placed = (pods: V1Pod[]) =>
      pods
        .filter((p) => !p.metadata?.deletionTimestamp)
        .map((p) => {
          const on = p.spec?.nodeName;
          if (!on) return '(Pending)';
          return nodes.courseName(on) ?? (real.includes(on) ? REAL : '(another node)');
        })
        .sort();
    const polled = await watchResource(ctx, spec.resource, {
      timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS,
      stopWhenStuck: false,
      holds: (objects) => JSON.stringify(placed(objects as V1Pod[])) === JSON.stringify(expected),
    });
    const seen = placed((polled.last?.objects ?? []) as V1Pod[]);
    const count = (list: string[], name: string) => list.filter((n) => n === name).length;
    const names = [...new Set([...expected, ...seen])];
    const rows = names.map((name) => row(name, count(expected, name) === count(seen, name), `${count(expected, name)} Pod(s)`, `${count(seen, name)} Pod(s)`)).join('\n');
    const what = describeRef(spec.resource);
    if (polled.ok) return pass(`${what} は各ノードに 1 つずつ動いています。`, `${what} run one on each node.`, rows);
    return failedPoll(ctx, polled, { ja: `${what} が各ノードに 1 つずつになっていません。`, en: `${what} do not run exactly one on each node.` }, rows);
  },
});
