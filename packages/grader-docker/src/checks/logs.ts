import { z } from 'zod';
import { common, fail, isOutcome, lastLines, pass, row, runningService, serviceName, sleep, type CheckType, type Outcome } from './types';

const fields = z.strictObject({
  ...common,
  contains: z.string().optional(),
  matches: z.string().optional(),
  timeoutSeconds: z.number().positive().max(60).default(10),
});

/** The container's log (stdout and stderr) shows a line, within a few seconds. */
export const logsCheck: CheckType<z.infer<typeof fields>> = {
  fields,
  async run(spec, ctx): Promise<Outcome> {
    const name = serviceName(ctx, spec.service);
    const ready = await runningService(ctx, name);
    if (isOutcome(ready)) return ready;
    const pattern = spec.matches ? new RegExp(spec.matches, 'm') : undefined;
    const ok = (logs: string) => (!spec.contains || logs.includes(spec.contains)) && (!pattern || pattern.test(logs));
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    let logs = await ctx.sandbox.logs(name, 500);
    while (!ok(logs) && Date.now() < deadline && !ctx.signal.aborted) {
      await sleep(500, ctx.signal);
      logs = await ctx.sandbox.logs(name, 500);
    }
    const expected = [spec.contains && `contains "${spec.contains}"`, spec.matches && `matches /${spec.matches}/`].filter(Boolean).join(', ');
    if (ok(logs)) {
      const line = logs.split('\n').find((l) => (spec.contains && l.includes(spec.contains)) || (pattern && pattern.test(l))) ?? '';
      return pass('ログに期待した内容があります。', 'The log shows what was expected.', `${row('log', true, expected, 'found')}\n${line}`);
    }
    return fail(`ログに期待した内容がありません（${expected}）。`, `The log does not show what was expected (${expected}).`, `${row('log', false, expected, 'not found')}\n--- container log (last lines) ---\n${lastLines(logs, 30)}`);
  },
};
