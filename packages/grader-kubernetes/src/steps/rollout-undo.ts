import { defineCheck } from '@kadai/checks';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef } from '../resources';
import { act, actionFields, target } from './action';

const fields = z.strictObject({ ...actionFields, toRevision: z.number().int().positive().optional() });

/** `rolloutUndo`: kadai rolls a named Deployment back to its previous revision (or `toRevision`), as `kubectl rollout undo` does. */
export const rolloutUndoStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  run: (spec, ctx: KubeCheckContext) =>
    act(ctx, { ja: `${describeRef(spec.resource)} のロールバック`, en: `Rolling back ${describeRef(spec.resource)}` }, (kubectl) => kubectl.rolloutUndo(target(spec.resource), spec.toRevision, ctx.signal)),
});
