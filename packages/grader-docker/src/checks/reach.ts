import { fail, pass, row, defineCheck, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { type DockerCheckContext, dockerCheckFields } from './types';

const fields = z.strictObject({
  ...dockerCheckFields,
  /** The service name other containers use. */
  to: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  timeoutSeconds: z.number().positive().max(60).default(15),
});

/** A container on the attempt's network reaches `to:port` by service name (the way the services reach each other). */
export const reachCheck = defineCheck({
  fields,
  // the helper's own wait (timeout + 5 s) plus creating and starting it
  timeoutMs: (spec) => spec.timeoutSeconds * 1000 + 15_000,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const tries = Math.max(1, Math.round(spec.timeoutSeconds / 2));
    const script = `i=0; while [ $i -lt ${tries} ]; do if echo | nc -w 2 "$0" "$1" >/dev/null 2>&1; then echo reached; exit 0; fi; i=$((i+1)); sleep 1; done; nslookup "$0" 2>&1 | tail -3; exit 1`;
    const result = await ctx.sandbox.runHelper(['sh', '-c', script, spec.to, String(spec.port)], spec.timeoutSeconds * 1000 + 5000);
    const ok = result.exitCode === 0;
    const evidence = `${row(`${spec.to}:${spec.port}`, ok, 'reachable by service name', ok ? 'reachable' : 'not reachable')}\nservices: ${ctx.project.services.map((s) => s.name).join(', ')}\n${result.output.trim()}`;
    return ok
      ? pass(`サービス名「${spec.to}」のポート ${spec.port} に接続できました。`, `Service name "${spec.to}" answers on port ${spec.port}.`, evidence)
      : fail(`サービス名「${spec.to}」のポート ${spec.port} に接続できません。`, `Cannot reach service name "${spec.to}" on port ${spec.port}.`, evidence);
  },
});
