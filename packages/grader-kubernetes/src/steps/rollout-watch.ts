import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { StudentWorkError } from '@kadai/errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { DeploymentWatch, timeline } from '../deployment-watch';
import { redact, type TerminalState } from '../evidence';
import { KubectlActions } from '../kubectl';
import type { ProbeLine } from '../probe/output';
import { resolveTarget } from '../probe/target';
import { failedRequestRanges, judgeRollout, readyFloor, rolloutComplete, type DeploymentShape } from '../rollout';
import { applyStage } from './apply';
import { failure } from './report';

export const ROLLOUT_TIMEOUT_SECONDS = 120;
/** The probe runs this long before the rollout starts (the old version must be seen answering) … */
const LEAD_IN_MS = 1500;
/** … and this long after it completed (the new version must be seen answering). */
const TAIL_MS = 2000;
/**
 * Each request's own limit. The probe's default (2 s) failed a correct rollout once in CI: one
 * request of 182 timed out before the rollout began, on a node at load ~25. A request answered in
 * 5 s is slow, not failed; refused and reset connections (what a wrong strategy causes) still end
 * at once. Requests in flight when the probe stops are awaited, so this needs no longer tail.
 */
const REQUEST_TIMEOUT_MS = 5000;

const fields = z
  .strictObject({
    ...kubeCheckFields,
    deployment: z.string().min(1),
    /** What starts the rollout: a stage of the submission … */
    stage: z.string().min(1).optional(),
    /** … or a grader action (only where the exercise does not ask the student to do it). */
    action: z.union([z.strictObject({ setImage: z.strictObject({ container: z.string().min(1), image: z.string().min(1) }) }), z.strictObject({ rolloutUndo: z.strictObject({ toRevision: z.number().int().min(1).optional() }) })]).optional(),
    service: z.string().min(1),
    port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]),
    path: z.string().startsWith('/').default('/'),
    rate: z.number().min(10).max(100).default(10),
    expect: z
      .strictObject({
        noFailedRequests: z.boolean().default(true),
        versions: z.tuple([z.string().min(1), z.string().min(1)]).optional(),
        /** Default: replicas − maxUnavailable of the Deployment's strategy. */
        minReady: z.number().int().min(0).optional(),
      })
      .default({ noFailedRequests: true }),
  })
  .refine((spec) => (spec.stage === undefined) !== (spec.action === undefined), { message: 'start the rollout with a stage or an action (one of them)', path: ['stage'] });
type RolloutSpec = z.infer<typeof fields>;

async function startRollout(spec: RolloutSpec, ctx: KubeCheckContext): Promise<string> {
  if (spec.stage !== undefined) {
    const done = await applyStage({ stage: spec.stage }, ctx);
    ctx.applied.set(spec.stage, done.applied);
    return done.log.join('\n');
  }
  const kubectl = new KubectlActions(ctx.attempt.asAttempt, ctx.namespace);
  const target = { kind: 'Deployment', name: spec.deployment };
  if (spec.action && 'setImage' in spec.action) {
    await kubectl.setImage(target, { [spec.action.setImage.container]: spec.action.setImage.image }, ctx.signal);
    return `deployment.apps/${spec.deployment} image updated (kadai: set image ${spec.action.setImage.container}=${spec.action.setImage.image})`;
  }
  return kubectl.rolloutUndo(target, spec.action?.rolloutUndo.toRevision, ctx.signal);
}

interface ReplicaSetLike extends KubernetesObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { readyReplicas?: number };
}

async function replicaSets(ctx: KubeCheckContext, deployment: KubernetesObject | undefined): Promise<string[]> {
  const uid = deployment?.metadata?.uid;
  const sets = ((await ctx.resources.find({ kind: 'ReplicaSet' }, ctx.signal)) as ReplicaSetLike[]).filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
  return sets.map((rs) => `ReplicaSet ${rs.metadata?.name} revision ${rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '?'}: ${(rs.spec?.template?.spec?.containers ?? []).map((c) => c.image).join(', ')}, replicas ${rs.spec?.replicas ?? 0}, ready ${rs.status?.readyReplicas ?? 0}`);
}

/**
 * `rolloutWatch`: while a rollout runs, kadai's probe sends `rate` requests/s to the Service from
 * inside the namespace, and the Deployment's status is watched. Passes when no request failed,
 * the old and then the new version answered, and ready replicas never dropped below what the
 * strategy allows; every failed request is listed in the evidence.
 */
export const rolloutWatchStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, ROLLOUT_TIMEOUT_SECONDS) + LEAD_IN_MS + TAIL_MS,
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = `Deployment ${spec.deployment}`;
    const [before] = (await ctx.resources.find({ kind: 'Deployment', name: spec.deployment }, ctx.signal)) as (KubernetesObject & DeploymentShape)[];
    if (!before) return failure(ctx, { ja: `${what} がありません。`, en: `${what} does not exist.` }, '', []);
    const target = await resolveTarget(ctx, { service: spec.service, port: spec.port, via: 'dns' }, spec.path, async () => undefined);
    if (!target.ok) return failure(ctx, { ja: `ロールアウトを監視できません: ${target.why.ja}`, en: `Cannot watch the rollout: ${target.why.en}` }, '', [before, ...target.objects]);
    await ctx.probe.ready(ctx.signal);

    const watch = new DeploymentWatch(ctx.kc, ctx.namespace, spec.deployment);
    await watch.start();
    const stopProbe = new AbortController();
    const lines: ProbeLine[] = [];
    const timeoutMs = (spec.timeoutSeconds ?? ROLLOUT_TIMEOUT_SECONDS) * 1000;
    const probing = ctx.probe.run(
      { url: target.url, rate: spec.rate, durationMs: LEAD_IN_MS + timeoutMs + TAIL_MS, timeoutMs: REQUEST_TIMEOUT_MS, bodyBytes: 0, ...(spec.expect.versions ? { marks: [...spec.expect.versions] } : {}) },
      { signal: ctx.signal, stop: stopProbe.signal, onLine: (l) => lines.push(l) },
    );
    // a probe that fails early (kadai's problem) must not be left unobserved while the rollout runs
    probing.catch(() => undefined);
    let started = '';
    let floor = readyFloor(before);
    let completed = false;
    let refused: StudentWorkError | undefined;
    let terminal: TerminalState | undefined;
    const rolloutFrom = () => watch.samples.findIndex((s) => s.generation > (before.metadata?.generation ?? 0));
    try {
      await sleep(LEAD_IN_MS, undefined, { signal: ctx.signal });
      try {
        started = await startRollout(spec, ctx);
      } catch (err) {
        if (!(err instanceof StudentWorkError)) throw err;
        refused = err;
      }
      const deadline = Date.now() + timeoutMs;
      for (let look = 0; !refused && Date.now() < deadline; look++) {
        const latest = watch.latest;
        if (latest && (latest.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0) && rolloutComplete(latest)) {
          completed = true;
          break;
        }
        // new Pods stuck for good (an image that cannot be pulled): the rollout will not end by waiting
        if (look % 10 === 9 && latest) {
          terminal = ctx.evidence.terminalState(await ctx.evidence.podsOf([latest], ctx.signal));
          if (terminal) break;
        }
        await sleep(100, undefined, { signal: ctx.signal });
      }
      if (completed) await sleep(TAIL_MS, undefined, { signal: ctx.signal });
    } finally {
      stopProbe.abort();
      watch.stop();
    }
    const result = await probing;
    if (refused) return failure(ctx, { ja: `ロールアウトを開始できませんでした: ${refused.message}`, en: `The rollout could not be started: ${refused.message}` }, '', [before]);

    const latest = watch.latest ?? before;
    floor = readyFloor(latest);
    const minReady = spec.expect.minReady ?? floor.floor;
    const during = watch.samples.slice(Math.max(0, rolloutFrom()));
    const verdict = judgeRollout(result.requests, during.map((s) => s.ready), { noFailedRequests: spec.expect.noFailedRequests, minReady, ...(spec.expect.versions ? { versions: spec.expect.versions } : {}) });

    const summary = result.summary;
    const evidence = redact([
      started,
      `probe: ${target.shown}${spec.path} at ${spec.rate}/s — ${summary ? `${summary.sent} sent, ${summary.ok} ok, ${summary.failed} failed, latency p50 ${summary.latencyMs.p50} ms / p95 ${summary.latencyMs.p95} ms / max ${summary.latencyMs.max} ms` : `${lines.length} answers (no summary)`}`,
      row('rollout completed', completed, 'yes', completed ? 'yes' : `no (within ${timeoutMs / 1000} s)`),
      row('failed requests', verdict.failed.length === 0 || !spec.expect.noFailedRequests, spec.expect.noFailedRequests ? 0 : 'any', verdict.failed.length),
      ...(verdict.versions ? [row(`versions ${spec.expect.versions!.join(' → ')}`, verdict.versions.ok, 'old first, new last', `old ${verdict.versions.old}, new ${verdict.versions.new}, neither ${verdict.versions.neither}; first ${verdict.versions.firstIsOld ? 'old' : 'not old'}, last ${verdict.versions.lastIsNew ? 'new' : 'not new'}`)] : []),
      row('lowest ready replicas', verdict.lowestReady >= minReady, `at least ${minReady} (${floor.strategy}, replicas ${floor.replicas}, maxUnavailable ${floor.maxUnavailable})`, verdict.lowestReady),
      // before the rest: long evidence is cut in the middle when stored, and every failed request must show
      ...(verdict.failed.length ? [`--- failed requests (${verdict.failed.length}) ---`, ...failedRequestRanges(verdict.failed)] : []),
      '--- Deployment status during the rollout ---',
      ...timeline(during),
      '--- ReplicaSets ---',
      ...(await replicaSets(ctx, latest).catch((err: unknown) => [`(cannot list: ${(err as Error).message})`])),
    ].join('\n'));

    if (completed && verdict.ok) {
      return pass(`${what} のロールアウト中、${summary?.sent ?? lines.length} 件のリクエストがすべて成功し、旧→新の順に切り替わり、Ready なレプリカは ${verdict.lowestReady} 未満になりませんでした。`, `During the rollout of ${what}, all ${summary?.sent ?? lines.length} requests succeeded, the versions switched old → new and ready replicas never went below ${verdict.lowestReady}.`, evidence);
    }
    const unfinished = terminal
      ? { ja: `ロールアウトが進みません: ${terminal.message.ja}`, en: `The rollout is stuck: ${terminal.message.en}` }
      : { ja: `ロールアウトが ${timeoutMs / 1000} 秒以内に完了しませんでした。`, en: `The rollout did not complete within ${timeoutMs / 1000} s.` };
    const problems = [...(completed ? [] : [unfinished]), ...verdict.problems];
    return failure(ctx, { ja: `${what} のロールアウト: ${problems.map((p) => p.ja).join(' ')}`, en: `Rollout of ${what}: ${problems.map((p) => p.en).join(' ')}` }, evidence, [latest]);
  },
});
