import { defineCheck, fail, lastLines, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { isOutcome, runningService, serviceName, type DockerCheckContext, dockerCheckFields } from './types';

const fields = z.strictObject({
  ...dockerCheckFields,
  contains: z.string().optional(),
  matches: z.string().optional(),
  timeoutSeconds: z.number().positive().max(60).default(10),
});

/** The container's log (stdout and stderr) shows a line, within a few seconds. */
export const logsCheck = defineCheck({
  fields,
  timeoutMs: (spec) => spec.timeoutSeconds * 1000 + 5000,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const name = serviceName(ctx, spec.service);
    const ready = await runningService(ctx, name);
    if (isOutcome(ready)) return ready;
    const pattern = spec.matches ? new RegExp(spec.matches, 'm') : undefined;
    const ok = (logs: string) => (!spec.contains || logs.includes(spec.contains)) && (!pattern || pattern.test(logs));
    const polled = await pollUntil({ timeoutMs: spec.timeoutSeconds * 1000, signal: ctx.signal, observe: () => ctx.sandbox.logs(name, 500), judge: (seen) => (ok(seen) ? 'done' : 'again') });
    const logs = polled.last ?? '';
    const expected = [spec.contains && `contains "${spec.contains}"`, spec.matches && `matches /${spec.matches}/`].filter(Boolean).join(', ');
    if (polled.ok) {
      const line = logs.split('\n').find((l) => (spec.contains && l.includes(spec.contains)) || (pattern && pattern.test(l))) ?? '';
      return pass('ログに期待した内容があります。', 'The log shows what was expected.', `${row('log', true, expected, 'found')}\n${line}`);
    }
    return fail(`ログに期待した内容がありません（${expected}）。`, `The log does not show what was expected (${expected}).`, `${row('log', false, expected, 'not found')}\n--- container log (last lines) ---\n${lastLines(logs, 30)}`);
  },
});
