import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeObject, describeRef, resourceRef } from '../resources';
import { expectsCrashLoop, watchResource } from '../watch';
import { expectsRefusal } from '../refusals';
import { failedPoll } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    condition: z.string().min(1).optional(),
    phase: z.string().min(1).optional(),
    /** How long the state must hold without a break: a container that starts and exits at once makes its Pod Ready for a moment. */
    holdSeconds: z.number().int().min(1).max(60).optional(),
  })
  .refine((spec) => (spec.condition === undefined) !== (spec.phase === undefined), { message: 'wait for a condition or a phase (one of them)', path: ['condition'] });
type WaitSpec = z.infer<typeof fields>;

interface WithStatus extends KubernetesObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function stateOf(spec: WaitSpec, object: WithStatus): { ok: boolean; actual: string } {
  if (spec.phase !== undefined) return { ok: object.status?.phase === spec.phase, actual: object.status?.phase ?? '(no phase)' };
  const condition = object.status?.conditions?.find((c) => c.type === spec.condition);
  const actual = condition ? `${condition.status}${condition.reason ? ` (${condition.reason}${condition.message ? `: ${condition.message}` : ''})` : ''}` : '(no such condition)';
  return { ok: condition?.status === 'True', actual };
}

/** `wait`: every selected object reaches a condition (status True) or a phase — e.g. Deployment Available, PVC Bound, Pod Ready. */
export const waitStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const wanted = `${spec.phase !== undefined ? `phase ${spec.phase}` : `condition ${spec.condition}=True`}${spec.holdSeconds ? ` (held ${spec.holdSeconds} s)` : ''}`;
    let heldSince: number | undefined;
    const polled = await watchResource(ctx, spec.resource, {
      timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS,
      holds: (objects) => {
        if (!(objects.length > 0 && objects.every((o) => stateOf(spec, o).ok))) {
          heldSince = undefined;
          return false;
        }
        heldSince ??= Date.now();
        return Date.now() - heldSince >= (spec.holdSeconds ?? 0) * 1000;
      },
      crashLoopExpected: expectsCrashLoop(spec),
      refusalExpected: expectsRefusal(spec),
    });
    const objects = polled.last?.objects ?? [];
    const rows = objects.length ? objects.map((o) => row(describeObject(o), stateOf(spec, o).ok, wanted, stateOf(spec, o).actual)).join('\n') : row(describeRef(spec.resource), false, 'exists', '(not found)');
    const what = describeRef(spec.resource);
    if (polled.ok) return pass(`${what} は ${wanted} になりました。`, `${what} reached ${wanted}.`, rows);
    return failedPoll(ctx, polled, { ja: `${what} が ${wanted} になりませんでした。`, en: `${what} did not reach ${wanted}.` }, rows);
  },
});
