import { defineCheck, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import type { ProbeLine } from '../probe/output';
import { describeTarget, httpTarget, resolveTarget, type ResolvedTarget } from '../probe/target';
import { redact, type TerminalState } from '../evidence';
import { failure } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    target: httpTarget,
    path: z.string().startsWith('/').default('/'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyContains: z.string().min(1).optional(),
    /** A JavaScript regular expression the body must match (the first 64 KiB of it). */
    bodyMatches: z
      .string()
      .min(1)
      .refine((re) => {
        try {
          new RegExp(re);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
    /** How many requests (one after another); each must answer as expected. */
    requests: z.number().int().min(1).max(200).default(1),
    /** Load spread: at least this many different Pods (or different bodies, where bodies do not name their Pod) answered. */
    distinctBodies: z.strictObject({ min: z.number().int().min(2) }).optional(),
  })
  .refine((spec) => !(spec.bodyContains && spec.bodyMatches), { message: 'bodyContains or bodyMatches, not both', path: ['bodyMatches'] })
  .refine((spec) => !spec.distinctBodies || spec.requests >= spec.distinctBodies.min, { message: 'requests must be at least distinctBodies.min', path: ['requests'] });
type HttpSpec = z.infer<typeof fields>;

const BODY_SHOWN = 512;
const BODY_MATCHED = 64 * 1024;
const LINES_SHOWN = 10;

interface Round {
  target: ResolvedTarget;
  lines: ProbeLine[];
  /** A Pod behind the target stuck for good: stop waiting. */
  terminal?: TerminalState;
}

/** Why one answer is not the expected one ('' when it is). */
function mismatch(spec: HttpSpec, line: ProbeLine): string {
  if (line.status === 0) return line.error ?? 'no answer';
  if (line.status !== spec.expectStatus) return `status ${line.status}, expected ${spec.expectStatus}`;
  if (line.error) return line.error;
  if (spec.bodyContains !== undefined && !line.marks?.includes(spec.bodyContains)) return `the body does not contain "${spec.bodyContains}"`;
  if (spec.bodyMatches !== undefined && !new RegExp(spec.bodyMatches).test(line.body)) return `the body does not match /${spec.bodyMatches}/`;
  return '';
}

/** How many different Pods answered: the names bodies give, else different bodies. */
function distinctAnswers(lines: readonly ProbeLine[]): number {
  const answered = lines.filter((l) => l.status > 0);
  const servers = new Set(answered.map((l) => l.server).filter(Boolean));
  return servers.size > 0 ? servers.size : new Set(answered.map((l) => l.sha256 ?? '')).size;
}

function judge(spec: HttpSpec, round: Round): boolean {
  if (!round.target.ok || round.lines.length < spec.requests) return false;
  if (round.lines.some((l) => mismatch(spec, l) !== '')) return false;
  return !spec.distinctBodies || distinctAnswers(round.lines) >= spec.distinctBodies.min;
}

function showLine(l: ProbeLine, bodyChars = 120): string {
  const answer = l.status ? `${l.status}` : 'no answer';
  const body = l.body ? ` ${JSON.stringify(l.body.slice(0, bodyChars))}${l.body.length > bodyChars ? '…' : ''}` : '';
  return `#${l.seq} +${Math.round(l.offsetMs)}ms ${answer} ${Math.round(l.latencyMs)}ms${l.server ? ` from ${l.server}` : ''}${l.error ? ` — ${l.error}` : ''}${body}`;
}

function evidenceOf(spec: HttpSpec, round: Round | undefined): string {
  if (!round) return '';
  const out: string[] = [round.target.ok ? `target: ${round.target.shown}${round.target.host ? ` (Host: ${round.target.host})` : ''}` : `target: ${round.target.why.en}`];
  for (const l of round.lines.slice(0, LINES_SHOWN)) {
    const why = mismatch(spec, l);
    out.push(`${why ? '✗' : '✓'} ${showLine(l)}${why ? ` — ${why}` : ''}`);
  }
  if (round.lines.length > LINES_SHOWN) out.push(`… ${round.lines.length - LINES_SHOWN} more requests`);
  if (spec.distinctBodies && round.lines.length) out.push(row('different Pods answering', distinctAnswers(round.lines) >= spec.distinctBodies.min, `at least ${spec.distinctBodies.min}`, distinctAnswers(round.lines)));
  return out.join('\n');
}

/**
 * `http`: requests from kadai's probe Pod inside the attempt's namespace answer as expected —
 * polled until the deadline (a Deployment may still be starting), failing at once when a Pod behind
 * the target is stuck for good.
 */
export const httpStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = `${describeTarget(spec.target)} ${spec.path}`;
    const bodyBytes = spec.bodyMatches ? BODY_MATCHED : BODY_SHOWN;
    const polled = await pollUntil<Round>({
      timeoutMs: (spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS) * 1000,
      intervalMs: 1000,
      signal: ctx.signal,
      observe: async () => {
        await ctx.probe.ready(ctx.signal);
        const target = await resolveTarget(ctx, spec.target, spec.path, () => ctx.probe.nodeAddress(ctx.signal));
        let lines: ProbeLine[] = [];
        if (target.ok) {
          const request = { url: target.url, ...(target.host ? { host: target.host } : {}), bodyBytes, ...(spec.bodyContains ? { marks: [spec.bodyContains] } : {}) };
          lines = spec.requests === 1 ? [await ctx.probe.get(request, ctx.signal)] : (await ctx.probe.run({ ...request, count: spec.requests }, { signal: ctx.signal })).requests;
        }
        const round: Round = { target, lines };
        if (judge(spec, round)) return round;
        const terminal = ctx.evidence.terminalState(await ctx.evidence.podsOf(target.objects, ctx.signal));
        return terminal ? { ...round, terminal } : round;
      },
      judge: (round) => (judge(spec, round) ? 'done' : round.terminal ? 'stop' : 'again'),
    });
    const round = polled.last;
    // addresses inside the cluster (ClusterIP, LoadBalancer, in error texts) are not the student's to see
    const evidence = redact(evidenceOf(spec, round));
    if (polled.ok) {
      const spread = spec.distinctBodies ? `（${distinctAnswers(round!.lines)} 個の Pod）` : '';
      const spreadEn = spec.distinctBodies ? ` (${distinctAnswers(round!.lines)} Pods)` : '';
      return pass(`${what} へのリクエスト ${spec.requests} 件が期待どおりに応答しました${spread}。`, `${spec.requests} request(s) to ${what} answered as expected${spreadEn}.`, evidence);
    }
    const objects = round?.target.objects ?? [];
    if (round?.terminal) return failure(ctx, { ja: `${what} に応答がありません。\n${round.terminal.message.ja}`, en: `${what} does not answer.\n${round.terminal.message.en}` }, evidence, objects);
    if (round && !round.target.ok) return failure(ctx, { ja: `${what} にリクエストを送れませんでした: ${round.target.why.ja}`, en: `Could not send requests to ${what}: ${round.target.why.en}` }, evidence, objects);
    const bad = redact(round?.lines.map((l) => mismatch(spec, l)).find((m) => m !== '') ?? '');
    if (bad) return failure(ctx, { ja: `${what} の応答が期待と違います: ${bad}`, en: `${what} did not answer as expected: ${bad}` }, evidence, objects);
    const seen = round ? distinctAnswers(round.lines) : 0;
    return failure(
      ctx,
      { ja: `${what} に応答した Pod は ${seen} 個でした（${spec.distinctBodies?.min} 個以上のはず）。`, en: `Only ${seen} Pod(s) answered ${what} (expected at least ${spec.distinctBodies?.min}).` },
      evidence,
      objects,
    );
  },
});
