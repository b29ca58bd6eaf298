import { fail, pass, row, text, defineCheck, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { isOutcome, runningService, serviceName, type DockerCheckContext, dockerCheckFields } from './types';

const fields = z.strictObject({
  ...dockerCheckFields,
  /** Services that must be declared as dependencies (depends_on) and have started before this one. */
  after: z.array(z.string().min(1)).min(1),
});

/** depends_on: the service declares its dependencies, and they started before it. */
export const startOrderCheck = defineCheck({
  fields,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const name = serviceName(ctx, spec.service);
    const state = ctx.sandbox.services.get(name);
    if (!state) return fail(`サービス「${name}」がありません。`, `There is no service "${name}".`);
    // A service whose image did not build never starts: its order cannot be looked at (the build check says why).
    const ready = await runningService(ctx, name);
    if (isOutcome(ready) && ready.status === 'skipped') return ready;
    const rows: string[] = [];
    const missing: string[] = [];
    for (const dep of spec.after) {
      const declared = state.spec.dependsOn.includes(dep);
      const depStarted = ctx.sandbox.services.get(dep)?.startedAt;
      const ordered = declared && depStarted !== undefined && state.startedAt !== undefined && depStarted <= state.startedAt;
      rows.push(row(`${name} depends_on ${dep}`, declared, 'declared', declared ? 'declared' : `not declared (depends_on: ${state.spec.dependsOn.join(', ') || 'none'})`));
      rows.push(row(`${dep} started before ${name}`, ordered, 'yes', depStarted && state.startedAt ? `${dep} at +${depStarted - Math.min(depStarted, state.startedAt)} ms, ${name} at +${state.startedAt - Math.min(depStarted, state.startedAt)} ms` : 'not started'));
      if (!ordered) missing.push(dep);
    }
    if (missing.length === 0) return pass(`「${name}」は ${spec.after.join('、')} の後に起動しました。`, `"${name}" started after ${spec.after.join(', ')}.`, rows.join('\n'));
    return { status: 'fail', message: text(`「${name}」が ${missing.join('、')} に依存する（depends_on）よう宣言されていないか、先に起動しました。`, `"${name}" does not declare depends_on ${missing.join(', ')}, or started before it.`), evidence: rows.join('\n') };
  },
});
