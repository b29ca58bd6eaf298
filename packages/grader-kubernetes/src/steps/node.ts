import type { V1Node } from '@kubernetes/client-node';
import { defineCheck, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { COURSE_NAME_LABEL } from '@kadai/k8s-nodes';
import { z } from 'zod';
import { kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { failure } from './report';

const taint = z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) });

const fields = z
  .strictObject({
    ...kubeCheckFields,
    /** The attempt's node, by the course's name. */
    node: z.string().min(1),
    /** Labels the node has (null: the label is absent). */
    labels: z.record(z.string(), z.string().nullable()).optional(),
    /** Taints the node has. */
    taints: z.array(taint).optional(),
    /** Keys no taint of the node has. */
    noTaints: z.array(z.string().min(1)).optional(),
  })
  .refine((spec) => spec.labels !== undefined || spec.taints !== undefined || spec.noTaints !== undefined, { message: 'say what the node has: labels, taints or noTaints', path: ['node'] });

const NODE_TIMEOUT_SECONDS = 10;

/** `node` (scheduling labs): the attempt's node of that course name has these labels and taints (after the student's commands). */
export const nodeStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, NODE_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const nodes = ctx.nodes;
    if (!nodes) throw new InfrastructureError(`lab ${ctx.definition.id} uses a node step but declares no kubernetes.nodes`, false);
    const rowsOf = (node: V1Node | undefined): { ok: boolean; text: string }[] => {
      const labels = node?.metadata?.labels ?? {};
      const taints = node?.spec?.taints ?? [];
      const show = (t: { key: string; value?: string; effect: string }) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
      return [
        ...Object.entries(spec.labels ?? {}).map(([key, value]) => {
          const ok = value === null ? !(key in labels) : labels[key] === value;
          return { ok, text: row(`label ${key}`, ok, value ?? '(absent)', labels[key] ?? '(absent)') };
        }),
        ...(spec.taints ?? []).map((t) => {
          const ok = taints.some((have) => have.key === t.key && have.effect === t.effect && (have.value ?? '') === (t.value ?? ''));
          return { ok, text: row(`taint ${t.key}`, ok, show(t), taints.filter((h) => h.key === t.key).map(show).join(', ') || '(none)') };
        }),
        ...(spec.noTaints ?? []).map((key) => {
          const have = taints.filter((t) => t.key === key);
          return { ok: have.length === 0, text: row(`taint ${key}`, have.length === 0, '(none)', have.map(show).join(', ') || '(none)') };
        }),
      ];
    };
    const polled = await pollUntil<V1Node | undefined>({
      timeoutMs: (spec.timeoutSeconds ?? NODE_TIMEOUT_SECONDS) * 1000,
      signal: ctx.signal,
      observe: async () => (await nodes.list(ctx.signal)).find((n) => n.metadata?.labels?.[COURSE_NAME_LABEL] === spec.node),
      judge: (node) => (node && rowsOf(node).every((r) => r.ok) ? 'done' : 'again'),
    });
    const rows = rowsOf(polled.last);
    const text = rows.map((r) => r.text).join('\n');
    if (polled.ok) return pass(`ノード ${spec.node} は期待どおりです。`, `Node ${spec.node} is as expected.`, text);
    return failure(ctx, { ja: `ノード ${spec.node} のラベル/taint が期待と違います。`, en: `Node ${spec.node}'s labels/taints are not as expected.` }, text, []);
  },
});
