import { fail, pass, row, defineCheck, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { isTarget, pollHttp, probeTarget } from './probe';
import { containerLog, dockerCheckFields, type DockerCheckContext } from './types';

const fields = z.strictObject({
  ...dockerCheckFields,
  /** Probe the container port the student published on this host port (checks the declared mapping). */
  hostPort: z.number().int().min(1).max(65535).optional(),
  /** Or probe this container port directly. */
  port: z.number().int().min(1).max(65535).optional(),
  path: z.string().default('/'),
  expectStatus: z.number().int().default(200),
  bodyContains: z.string().optional(),
  bodyMatches: z.string().optional(),
  timeoutSeconds: z.number().positive().max(120).default(20),
});

/** An HTTP GET through a kadai-assigned port answers with the expected status and body. */
export const httpCheck = defineCheck({
  fields,
  // the probes (one may start just before the timeout and take 5 s) and the diagnosis after
  timeoutMs: (spec) => spec.timeoutSeconds * 1000 + 10_000,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const target = await probeTarget(ctx, spec);
    if (!isTarget(target)) return target;
    const name = target.service;
    const pattern = spec.bodyMatches ? new RegExp(spec.bodyMatches) : undefined;
    const bodyOk = (body: string) => (!spec.bodyContains || body.includes(spec.bodyContains)) && (!pattern || pattern.test(body));
    const result = await pollHttp(ctx, target, spec.path, spec.timeoutSeconds * 1000, (a) => a.status === spec.expectStatus && bodyOk(a.body));
    const expected = [`status ${spec.expectStatus}`, spec.bodyContains && `body contains "${spec.bodyContains}"`, spec.bodyMatches && `body matches /${spec.bodyMatches}/`].filter(Boolean).join(', ');
    const where = `GET ${spec.path} on ${name}:${target.containerPort} (${target.via}; probed via ${result.url})`;
    if (result.answer && result.answer.status === spec.expectStatus && bodyOk(result.answer.body)) {
      return pass(`${spec.path} が期待どおりに応答しました。`, `${spec.path} answered as expected.`, `${where}\n${row('answer', true, expected, `status ${result.answer.status}`)}\n--- body ---\n${result.answer.body.slice(0, 2000)}`);
    }
    const actual = result.answer ? `status ${result.answer.status}` : `no answer (${result.error ?? '?'})`;
    const logs = await containerLog(ctx, name);
    const info = await ctx.sandbox.inspect(name);
    const state = info ? `container state: ${info.State.Status}${info.State.OOMKilled ? ' (OOM killed)' : ''}, exit code ${info.State.ExitCode}, restarts ${info.RestartCount}` : '';
    return fail(
      `${spec.path} が期待どおりに応答しません（期待: ${expected}、実際: ${actual}）。`,
      `${spec.path} did not answer as expected (expected: ${expected}; actual: ${actual}).`,
      [where, row('answer', false, expected, actual), result.answer ? `--- body ---\n${result.answer.body.slice(0, 2000)}` : '', state, logs].filter(Boolean).join('\n'),
    );
  },
});
