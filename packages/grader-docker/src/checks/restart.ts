import { defineCheck, fail, lastLines, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { z } from 'zod';
import { isTarget, pollHttp, probeTarget } from './probe';
import { dockerCheckFields, type DockerCheckContext } from './types';

const fields = z.strictObject({
  ...dockerCheckFields,
  hostPort: z.number().int().min(1).max(65535).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  path: z.string().default('/'),
  /** A regular expression with one group capturing a number in the body (a hit counter): it must be higher after the restart. */
  counter: z.string().optional(),
  timeoutSeconds: z.number().positive().max(120).default(30),
});

const countIn = (pattern: RegExp | undefined, body: string): number | undefined => {
  const m = pattern?.exec(body);
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
};

/**
 * Kills the container's main process from the host (SIGKILL, not `docker kill`, which counts as a
 * manual stop) and expects the engine to restart it per its policy: RestartCount rises, the service
 * answers again, and a counter kept in a named volume or in Redis is not reset.
 */
export const restartCheck = defineCheck({
  fields,
  // the answer before (at most 15 s), the restart and the answer after (together the timeout), and slack
  timeoutMs: (spec) => 15_000 + spec.timeoutSeconds * 1000 + 10_000,
  async run(spec, ctx: DockerCheckContext): Promise<CheckOutcome> {
    const target = await probeTarget(ctx, spec);
    if (!isTarget(target)) return target;
    const name = target.service;
    const pattern = spec.counter ? new RegExp(spec.counter) : undefined;
    const timeoutMs = spec.timeoutSeconds * 1000;
    const rows: string[] = [];
    const before = await pollHttp(ctx, target, spec.path, Math.min(timeoutMs, 15_000), (a) => a.status < 500 && (!pattern || countIn(pattern, a.body) !== undefined));
    if (!before.answer || before.answer.status >= 500) {
      return fail('再起動の前にサービスが応答しません。', 'The service does not answer before the restart.', `${row('answer before kill', false, 'an answer', before.answer ? `status ${before.answer.status}` : before.error)}\n${lastLines(await ctx.sandbox.logs(name, 20))}`);
    }
    const countBefore = countIn(pattern, before.answer.body);
    const info = await ctx.sandbox.inspect(name);
    const pid = info?.State.Pid ?? 0;
    const restartsBefore = info?.RestartCount ?? 0;
    if (pid <= 0) return fail('メインプロセスが動いていません。', 'The main process is not running.', `state: ${info?.State.Status ?? '?'}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      throw new InfrastructureError(`cannot signal the container's main process ${pid}: ${(error as Error).message} (the worker must run on the engine's host with permission to signal its processes)`, false);
    }
    rows.push(`killed main process (pid ${pid}) with SIGKILL; RestartCount before: ${restartsBefore}`);
    const deadline = Date.now() + timeoutMs;
    const waited = await pollUntil({
      timeoutMs,
      intervalMs: 300,
      signal: ctx.signal,
      observe: () => ctx.sandbox.inspect(name),
      judge(after) {
        if ((after?.RestartCount ?? 0) > restartsBefore && after?.State.Running) return 'done';
        // Without a restart policy the engine will not bring it back: no need to wait the whole timeout.
        const policy = after?.HostConfig.RestartPolicy?.Name ?? '';
        return after?.State.Status === 'exited' && (policy === '' || policy === 'no') ? 'stop' : 'again';
      },
    });
    const after = waited.last;
    const restarted = (after?.RestartCount ?? 0) > restartsBefore && after?.State.Running === true;
    rows.push(row('RestartCount', restarted, `> ${restartsBefore} and running`, `${after?.RestartCount ?? '?'} (${after?.State.Status ?? '?'})`));
    if (!restarted) {
      return fail(
        `メインプロセスを停止した後、コンテナが再起動されませんでした（再起動ポリシー: ${after?.HostConfig.RestartPolicy?.Name || 'no'}）。`,
        `After its main process was killed, the container was not restarted (restart policy: ${after?.HostConfig.RestartPolicy?.Name || 'no'}).`,
        rows.join('\n'),
      );
    }
    // The first answer after the restart decides: polling on would count our own requests as hits.
    const again = await pollHttp(ctx, target, spec.path, Math.max(1000, deadline - Date.now()), (a) => a.status < 500);
    const answered = again.answer !== undefined && again.answer.status < 500;
    rows.push(row('answer after restart', answered, 'an answer', again.answer ? `status ${again.answer.status}` : again.error));
    if (!answered) return fail('再起動後にサービスが応答しません。', 'The service does not answer after the restart.', `${rows.join('\n')}\n${lastLines(await ctx.sandbox.logs(name, 20))}`);
    if (pattern) {
      const countAfter = countIn(pattern, again.answer!.body);
      const kept = countAfter !== undefined && countBefore !== undefined && countAfter > countBefore;
      rows.push(row('counter', kept, `> ${countBefore}`, countAfter ?? '(none)'));
      if (!kept) return fail('再起動でカウンターの状態が失われました。', 'The counter was reset by the restart: its state did not survive.', rows.join('\n'));
    }
    return pass('メインプロセスの停止後、コンテナが再起動し、状態を保ったまま応答しました。', 'After its main process was killed the container was restarted and answered again with its state intact.', rows.join('\n'));
  },
});
