import { defineCheck } from '@kadai/checks';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { apiVersionOf, describeRef } from '../resources';
import { act, actionFields } from './action';

const fields = z.strictObject({ ...actionFields, patch: z.record(z.string(), z.unknown()) });

/** `patch`: kadai merges a patch into a named object (JSON merge patch), as the attempt. */
export const patchStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  run: (spec, ctx: KubeCheckContext) =>
    act(ctx, { ja: `${describeRef(spec.resource)} の変更`, en: `Patching ${describeRef(spec.resource)}` }, async () => {
      const ref = { apiVersion: apiVersionOf(spec.resource), kind: spec.resource.kind, metadata: { name: spec.resource.name ?? '', namespace: ctx.resources.namespaceOf(spec.resource) } };
      await ctx.attempt.asAttempt.mergePatch(ref, spec.patch, ctx.signal);
      return `${describeRef(spec.resource)} patched: ${JSON.stringify(spec.patch)}`;
    }),
});
