import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError, StudentWorkError } from '@kadai/errors';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { execIn } from '../exec';
import { deleteAndReplace, readyPods, type Replacement } from '../pods';
import { describeRef, nameOf, resourceRef } from '../resources';
import { execEvidence } from './exec';
import { failedPoll, failure } from './report';

const fields = z.strictObject({
  ...kubeCheckFields,
  resource: resourceRef,
  container: z.string().min(1).optional(),
  path: z.string().regex(/^\/\S+$/, 'an absolute path in the container'),
  content: z.string().min(1).max(4096),
});

/** Two Ready-waits and a deletion: twice the polling default. */
const PERSIST_TIMEOUT_SECONDS = 2 * POLL_TIMEOUT_SECONDS;

/**
 * `persist`: kadai writes `content` at `path` in a Ready Pod (through exec), deletes the Pod, and
 * reads the file back in its replacement (a controller's new Pod, or a bare Pod applied again from
 * the submission): the data outlives the Pod (a volume), or not.
 */
export const persistStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, PERSIST_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const timeoutSeconds = spec.timeoutSeconds ?? PERSIST_TIMEOUT_SECONDS;
    const what = describeRef(spec.resource);
    const { polled, ready } = await readyPods(ctx, spec.resource, timeoutSeconds / 2);
    const pod = ready[0];
    if (!pod) return failedPoll(ctx, polled, { ja: `${what} に Ready な Pod がありません。`, en: `${what} has no Ready Pod to write to.` }, row('Ready Pod', false, 'one', 'none'));
    const write = ['sh', '-c', 'printf %s "$1" > "$2"', 'kadai', spec.content, spec.path];
    const written = await execIn(ctx.attempt.attemptConfig, ctx.namespace, nameOf(pod), spec.container, write, ctx.signal);
    if (written.exitCode !== 0) return failure(ctx, { ja: `${spec.path} に書き込めませんでした。`, en: `Could not write ${spec.path}.` }, execEvidence(write, written), [pod]);
    const replaced: Replacement = await deleteAndReplace(ctx, pod, timeoutSeconds / 2, () => reapplyBarePod(ctx, nameOf(pod))).catch((err: unknown) => {
      if (err instanceof StudentWorkError) return { rows: [`applying Pod ${nameOf(pod)} again was refused: ${err.message}`] };
      throw err;
    });
    if (!replaced.pod) return failure(ctx, { ja: `Pod ${nameOf(pod)} を削除した後、代わりの Pod が Ready になりませんでした。`, en: `After Pod ${nameOf(pod)} was deleted, no replacement became Ready.` }, replaced.rows.join('\n'), [pod]);
    const read = ['cat', spec.path];
    const back = await execIn(ctx.attempt.attemptConfig, ctx.namespace, nameOf(replaced.pod), spec.container, read, ctx.signal);
    const kept = back.exitCode === 0 && back.stdout === spec.content;
    const evidence = [...replaced.rows, row(`${spec.path} in ${nameOf(replaced.pod)}`, kept, spec.content, back.exitCode === 0 ? back.stdout : `(cannot read: exit ${back.exitCode ?? '-'} ${back.stderr.trim()})`)].join('\n');
    if (kept) return pass(`Pod を作り直しても ${spec.path} の内容は残っていました。`, `${spec.path} kept its content across the Pod's replacement.`, evidence);
    return failure(ctx, { ja: `Pod を作り直すと ${spec.path} の内容が失われました。`, en: `${spec.path} lost its content when the Pod was replaced.` }, evidence, [replaced.pod]);
  },
});

/** A bare Pod comes back only if someone applies it again: its document from the submission (the last stage that has it), as the attempt. */
async function reapplyBarePod(ctx: KubeCheckContext, name: string): Promise<void> {
  const documents = [...ctx.stages.values()].flatMap((s) => s.objects.filter((v) => v.object.kind === 'Pod' && v.object.metadata?.name === name));
  const document = documents.at(-1);
  if (!document) throw new InfrastructureError(`persist: Pod ${name} is in no stage of the submission, so kadai cannot apply it again (the lab should select a Pod of the submission)`, false);
  await ctx.attempt.apply([document.object], { signal: ctx.signal });
}
