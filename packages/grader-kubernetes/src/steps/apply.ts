import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError, StudentWorkError } from '@kadai/errors';
import { messageOf, statusOf } from '@kadai/k8s-sandbox';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { isNodeCommand, type NodeCommand } from '@kadai/k8s-nodes';
import { KubectlActions } from '../kubectl';
import { describeObject } from '../resources';
import { fixtureOrFail } from '../stages';
import { isVolume } from '../volumes';
import { failure } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    stage: z.string().optional(),
    fixture: z.string().optional(),
    expect: z.enum(['applied', 'refused']).default('applied'),
    messageContains: z.string().min(1).optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.stage === undefined) === (spec.fixture === undefined)) ctx.addIssue({ code: 'custom', path: ['stage'], message: 'name a stage or a fixture (one of them)' });
    if (spec.messageContains !== undefined && spec.expect !== 'refused') ctx.addIssue({ code: 'custom', path: ['messageContains'], message: 'messageContains goes with expect: refused' });
  });
export type ApplySpec = z.infer<typeof fields>;

/** Applies one stage of the submission as the attempt's ServiceAccount (then runs its commands), or a fixture as kadai. */
export async function applyStage(spec: Pick<ApplySpec, 'stage' | 'fixture'>, ctx: KubeCheckContext): Promise<{ applied: KubernetesObject[]; log: string[] }> {
  const log: string[] = [];
  if (spec.fixture !== undefined) {
    const fixture = ctx.definition.kubernetes.fixtures.find((f) => f.id === spec.fixture);
    if (!fixture) throw new InfrastructureError(`no fixture ${spec.fixture} in lab ${ctx.definition.id}`, false);
    const applied: KubernetesObject[] = [];
    for (const { object } of fixtureOrFail(ctx.lab, fixture.file, ctx.namespace, ctx.attempt.courseNamespaces)) {
      try {
        applied.push(await ctx.client.apply(object, { fieldManager: 'kadai-fixture', force: true, signal: ctx.signal }));
      } catch (err) {
        throw refusedOrInfrastructure(object, err);
      }
      log.push(`${describeObject(object)} applied (fixture ${fixture.file})`);
    }
    return { applied, log };
  }
  const stage = ctx.stages.get(spec.stage ?? '');
  if (!stage) throw new InfrastructureError(`no stage ${spec.stage} in lab ${ctx.definition.id}`, false);
  const volumes = await createVolumeCopies(ctx, stage.objects.map((v) => v.object).filter(isVolume));
  const applied = [...volumes, ...(await ctx.attempt.apply(stage.objects.map((v) => v.object).filter((o) => !isVolume(o)), { signal: ctx.signal }))];
  for (const object of applied) log.push(`${describeObject(object)} applied`);
  const kubectl = new KubectlActions(ctx.attempt.asAttempt, ctx.namespace);
  for (const command of stage.commands) {
    // node commands go to the attempt's own nodes, as kadai (the attempt's account has no node rights)
    const output = isNodeCommand(command) ? await nodeCommand(ctx, command) : await kubectl.run(command, stage, ctx.signal);
    log.push(`$ ${stage.commandsFile ?? 'commands'}:${command.line} kubectl ${command.verb}\n${output}`);
  }
  return { applied, log };
}

function nodeCommand(ctx: KubeCheckContext, command: NodeCommand): Promise<string> {
  if (!ctx.nodes) throw new InfrastructureError(`lab ${ctx.definition.id} declares no nodes, yet a node command was accepted`, false);
  return ctx.nodes.run(command, ctx.signal);
}

/** The per-attempt copies of the student's PersistentVolumes (see volumes.ts), created as kadai and removed with the attempt. */
async function createVolumeCopies(ctx: KubeCheckContext, volumes: KubernetesObject[]): Promise<KubernetesObject[]> {
  const created: KubernetesObject[] = [];
  for (const volume of volumes) {
    try {
      created.push(await ctx.client.request<KubernetesObject>('POST', await ctx.client.uriOf(volume, 'create'), { query: { fieldManager: 'kadai-volume', fieldValidation: 'Strict' }, body: volume, signal: ctx.signal }));
    } catch (err) {
      if (statusOf(err) === 409) continue; // this attempt made it already (the stage applied again)
      throw refusedOrInfrastructure(volume, err);
    }
    ctx.attempt.cleaner.add(`${describeObject(volume)}`, () => ctx.client.delete(volume));
  }
  return created;
}

function refusedOrInfrastructure(object: KubernetesObject, err: unknown): Error {
  const status = statusOf(err);
  if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429) return new StudentWorkError(`${describeObject(object)} was refused: ${messageOf(err)}`);
  return new InfrastructureError(`applying ${describeObject(object)}: ${messageOf(err)}`, true, { cause: err });
}

/**
 * `apply`: a stage of the student's files (and commands) is accepted by the API server as the
 * attempt's ServiceAccount — or, with `expect: refused`, refused with a message (chapter 7's quota
 * and LimitRange refusals). What the dry run found refused is shown with a failure.
 */
export const applyStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = spec.stage !== undefined ? `stage ${spec.stage}` : `fixture ${spec.fixture}`;
    let refusal: StudentWorkError | undefined;
    let done: { applied: KubernetesObject[]; log: string[] } | undefined;
    try {
      done = await applyStage(spec, ctx);
      ctx.applied.set(spec.stage ?? spec.fixture ?? '', done.applied);
    } catch (err) {
      if (!(err instanceof StudentWorkError)) throw err;
      refusal = err;
    }
    const dryRun = ctx.refusals.filter((r) => r.stage === spec.stage).map((r) => `dry run: ${r.file} ${r.object}: ${r.message}`);
    if (spec.expect === 'applied') {
      if (done) return pass(`${what} を適用しました。`, `${what} was applied.`, done.log.join('\n'));
      return failure(ctx, { ja: `${what} が API サーバーに拒否されました: ${refusal?.message ?? ''}`, en: `${what} was refused by the API server: ${refusal?.message ?? ''}` }, dryRun.join('\n'), []);
    }
    if (!refusal) return failure(ctx, { ja: `${what} は拒否されるはずでしたが、すべて受け付けられました。`, en: `${what} should have been refused, but everything was accepted.` }, done?.log.join('\n') ?? '', done?.applied ?? []);
    const matches = spec.messageContains === undefined || refusal.message.includes(spec.messageContains);
    const evidence = [row('refusal message', matches, spec.messageContains ? `contains "${spec.messageContains}"` : 'a refusal', refusal.message), ...dryRun].join('\n');
    if (matches) return pass(`${what} は期待どおり拒否されました。`, `${what} was refused, as expected.`, evidence);
    return failure(ctx, { ja: `${what} は拒否されましたが、理由が期待と違います。`, en: `${what} was refused, but not for the expected reason.` }, evidence, []);
  },
});
