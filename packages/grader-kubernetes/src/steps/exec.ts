import { defineCheck, lastLines, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { execIn, type ExecResult } from '../exec';
import { readyPods } from '../pods';
import { describeRef, nameOf, resourceRef } from '../resources';
import { failedPoll, failure } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    container: z.string().min(1).optional(),
    command: z.array(z.string()).min(1),
    stdoutContains: z.string().optional(),
    stdoutMatches: z.string().optional(),
    exitCode: z.number().int().default(0),
  })
  .refine((spec) => !(spec.stdoutContains !== undefined && spec.stdoutMatches !== undefined), { message: 'stdoutContains or stdoutMatches, not both', path: ['stdoutMatches'] });
type ExecSpec = z.infer<typeof fields>;

const expectation = (spec: ExecSpec) => [`exit ${spec.exitCode}`, spec.stdoutContains !== undefined && `stdout contains "${spec.stdoutContains}"`, spec.stdoutMatches !== undefined && `stdout matches /${spec.stdoutMatches}/`].filter(Boolean).join(', ');

function holds(spec: ExecSpec, result: ExecResult): boolean {
  if (result.exitCode !== spec.exitCode) return false;
  if (spec.stdoutContains !== undefined && !result.stdout.includes(spec.stdoutContains)) return false;
  return spec.stdoutMatches === undefined || new RegExp(spec.stdoutMatches, 'm').test(result.stdout);
}

/** What a command run in a container showed, as evidence. */
export function execEvidence(command: readonly string[], result: ExecResult): string {
  const parts = [`$ ${command.join(' ')}`, `exit code: ${result.exitCode ?? `(not run: ${result.failure ?? '?'})`}`];
  if (result.stdout.trim()) parts.push(`--- stdout ---\n${lastLines(result.stdout, 30)}`);
  if (result.stderr.trim()) parts.push(`--- stderr ---\n${lastLines(result.stderr, 15)}`);
  return parts.join('\n');
}

/**
 * `exec`: a command (argv; a shell only if the lab writes `sh -c`) in a Ready Pod the reference
 * selects, through the API server, as the attempt's ServiceAccount (its own Pods only). Run again until it gives the expected result or the
 * time is up (a file from a ConfigMap or a volume may appear a moment later), so it should not
 * change anything.
 */
export const execStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const timeoutSeconds = spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS;
    const started = Date.now();
    const { polled, ready } = await readyPods(ctx, spec.resource, timeoutSeconds);
    const pod = ready[0];
    const what = describeRef(spec.resource);
    if (!pod) return failedPoll(ctx, polled, { ja: `${what} に Ready な Pod がありません。`, en: `${what} has no Ready Pod to run the command in.` }, row('Ready Pod', false, 'one', 'none'));
    const result = await pollUntil({
      timeoutMs: Math.max(1000, timeoutSeconds * 1000 - (Date.now() - started)),
      intervalMs: 1000,
      signal: ctx.signal,
      observe: () => execIn(ctx.attempt.attemptConfig, ctx.resources.namespaceOf(spec.resource), nameOf(pod), spec.container, spec.command, ctx.signal),
      judge: (seen) => (holds(spec, seen) ? 'done' : 'again'),
    });
    const seen = result.last as ExecResult;
    const evidence = `${row(`in ${nameOf(pod)} as ${ctx.attempt.serviceAccount}`, result.ok, expectation(spec), `exit ${seen.exitCode ?? '-'}`)}\n${execEvidence(spec.command, seen)}`;
    if (result.ok) return pass('コマンドの結果は期待どおりです。', 'The command gave the expected result.', evidence);
    return failure(ctx, { ja: `Pod ${nameOf(pod)} でのコマンドの結果が期待と違います（${expectation(spec)}）。`, en: `The command in Pod ${nameOf(pod)} did not give the expected result (${expectation(spec)}).` }, evidence, [pod]);
  },
});
