import { fail, row, text, defineCheck, type CheckOutcome } from '@kadai/checks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ServiceState } from '../sandbox';
import { containerLog, isOutcome, runningService, serviceName, settled, type DockerCheckContext, dockerCheckFields } from './types';

const HOLD_POLL_MS = 500;

const fields = z.strictObject({
  ...dockerCheckFields,
  /** The container must be running at the time of the check (default true). */
  running: z.boolean().default(true),
  /**
   * With `running`: how long after its start the container must still be running. A container that
   * dies a few seconds in (out of memory, a crash after start-up) is not running; on a loaded
   * worker, a process may take seconds to get there.
   */
  holdSeconds: z.number().int().min(1).max(60).optional(),
  restartPolicy: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  /** Declared port mappings that must be present (host omitted: any host port). */
  publishes: z.array(z.strictObject({ host: z.number().int().optional(), container: z.number().int() })).optional(),
  /** Environment variables: a value to equal, or null for "set to anything". */
  env: z.record(z.string(), z.string().nullable()).optional(),
});

/** The container's last state: polled until it is no longer running or the hold (from its start) has passed. */
async function heldRunning(ctx: DockerCheckContext, name: string, state: ServiceState, holdMs: number) {
  const until = (state.startedAt ?? 0) + holdMs;
  await settled(ctx, state);
  for (;;) {
    const info = await ctx.sandbox.inspect(name);
    if (info?.State.Running !== true || Date.now() >= until || ctx.signal.aborted) return info;
    await sleep(Math.min(HOLD_POLL_MS, until - Date.now()), undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** Facts of the running container: state, restart policy, declared published ports, environment. */
export const containerCheck = defineCheck({
  fields,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const name = serviceName(ctx, spec.service);
    const declared = ctx.sandbox.services.get(name)?.spec;
    if (!declared) return fail(`サービス「${name}」がありません。`, `There is no service "${name}".`);
    const rows: Array<{ ok: boolean; line: string; ja: string; en: string }> = [];
    const add = (field: string, ok: boolean, expected: unknown, actual: unknown, ja: string, en: string) => rows.push({ ok, line: row(field, ok, expected, actual), ja, en });
    if (spec.restartPolicy) add('restart', declared.restart === spec.restartPolicy, spec.restartPolicy, declared.restart, '再起動ポリシー', 'the restart policy');
    if (spec.publishes) {
      const actual = declared.ports.map((p) => (p.host ? `${p.host}:${p.container}` : `${p.container}`));
      for (const want of spec.publishes) {
        const ok = declared.ports.some((p) => p.container === want.container && (want.host === undefined || p.host === want.host));
        add('ports', ok, want.host ? `${want.host}:${want.container}` : `?:${want.container}`, actual.length ? actual.join(', ') : 'none', 'ポートの公開', 'the published ports');
      }
    }
    if (spec.env) {
      for (const [key, value] of Object.entries(spec.env)) {
        const actual = declared.env[key];
        add(`env ${key}`, value === null ? actual !== undefined : actual === value, value ?? '(set)', actual ?? '(not set)', `環境変数 ${key}`, `the environment variable ${key}`);
      }
    }
    let diagnosis = '';
    if (spec.running) {
      const ready = await runningService(ctx, name);
      if (isOutcome(ready)) return ready.status === 'skipped' ? ready : { ...ready, evidence: [rows.map((r) => r.line).join('\n'), ready.evidence].filter(Boolean).join('\n') };
      const info = await heldRunning(ctx, name, ready, (spec.holdSeconds ?? 0) * 1000);
      const running = info?.State.Running === true;
      add('state', running, 'running', `${info?.State.Status ?? '?'}${info?.State.OOMKilled ? ' (OOM killed)' : ''}`, 'コンテナの実行状態', 'the container state');
      if (!running) diagnosis = await containerLog(ctx, name);
    }
    const evidence = [rows.map((r) => r.line).join('\n'), diagnosis].filter(Boolean).join('\n');
    const bad = rows.filter((r) => !r.ok);
    if (bad.length === 0) return { status: 'pass', message: text('コンテナは要件を満たしています。', 'The container meets the requirements.'), evidence };
    return { status: 'fail', message: text(`要件を満たしていません: ${bad.map((b) => b.ja).join('、')}`, `Not as required: ${bad.map((b) => b.en).join(', ')}`), evidence };
  },
});
