import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { redact } from '../evidence';
import { conditionLines, cpuTarget, replicaCurve, sampleOf, stuckReason, type Hpa, type ScaleSample, type ScaledDeployment } from '../hpa';
import { resolveTarget } from '../probe/target';
import { failure } from './report';

export const HPA_SCALE_OUT_TIMEOUT_SECONDS = 180;
const LOOK_EVERY_MS = 2000;
/** Each request burns CPU on purpose (hpa-example): a busy node answers slowly, which is not a failure here. */
const REQUEST_TIMEOUT_MS = 10_000;

const fields = z.strictObject({
  ...kubeCheckFields,
  /** The student's HorizontalPodAutoscaler; its scaleTargetRef must be a Deployment. */
  hpa: z.string().min(1),
  /** Where kadai's probe sends the load (a Service in front of the Deployment). */
  service: z.string().min(1),
  port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]),
  path: z.string().startsWith('/').default('/'),
  /** Requests per second while waiting. */
  rate: z.number().min(1).max(100).default(20),
  expect: z.strictObject({ replicasAtLeast: z.number().int().min(2) }),
});

/**
 * `hpaScaleOut`: kadai loads the Deployment behind an HPA from its probe Pod (`rate` requests/s to
 * the Service) and watches the HPA until it has set the Deployment to `replicasAtLeast` replicas —
 * the real metrics pipeline (kubelet → metrics-server → HPA controller) at work. The replica curve
 * is the evidence; the load stops as soon as the HPA scaled out (scale-in is not waited for).
 */
export const hpaScaleOutStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, HPA_SCALE_OUT_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = `HorizontalPodAutoscaler ${spec.hpa}`;
    const goal = spec.expect.replicasAtLeast;
    const [hpa] = (await ctx.resources.find({ kind: 'HorizontalPodAutoscaler', name: spec.hpa }, ctx.signal)) as Hpa[];
    if (!hpa) return failure(ctx, { ja: `${what} がありません。`, en: `${what} does not exist.` }, '', []);
    const ref = hpa.spec?.scaleTargetRef;
    const max = hpa.spec?.maxReplicas ?? 0;
    if (max < goal) return failure(ctx, { ja: `${what} の maxReplicas は ${max} で、負荷をかけても ${goal} レプリカまで増やせません。`, en: `${what} has maxReplicas ${max}: under load it cannot scale out to ${goal} replicas.` }, row('maxReplicas', false, `at least ${goal}`, max), [hpa]);
    if (ref?.kind !== 'Deployment' || !ref.name) return failure(ctx, { ja: `${what} の scaleTargetRef が Deployment を指していません。`, en: `${what}'s scaleTargetRef does not name a Deployment.` }, `scaleTargetRef: ${JSON.stringify(ref ?? null)}`, [hpa]);
    const deploymentName = ref.name;
    const target = await resolveTarget(ctx, { service: spec.service, port: spec.port, via: 'dns' }, spec.path, async () => undefined);
    if (!target.ok) return failure(ctx, { ja: `負荷をかけられません: ${target.why.ja}`, en: `Cannot send the load: ${target.why.en}` }, '', [hpa, ...target.objects]);
    await ctx.probe.ready(ctx.signal);

    const look = async (atMs: number) => {
      const [h] = (await ctx.resources.find({ kind: 'HorizontalPodAutoscaler', name: spec.hpa }, ctx.signal)) as Hpa[];
      const [d] = (await ctx.resources.find({ kind: 'Deployment', name: deploymentName }, ctx.signal)) as ScaledDeployment[];
      return { hpa: h, deployment: d, sample: sampleOf(atMs, h, d) };
    };
    const timeoutMs = (spec.timeoutSeconds ?? HPA_SCALE_OUT_TIMEOUT_SECONDS) * 1000;
    const stopLoad = new AbortController();
    const loading = ctx.probe.run({ url: target.url, rate: spec.rate, durationMs: timeoutMs, bodyBytes: 0, timeoutMs: REQUEST_TIMEOUT_MS }, { signal: ctx.signal, stop: stopLoad.signal });
    // a probe that fails early (kadai's problem) must not be left unobserved while the HPA is watched
    loading.catch(() => undefined);
    const started = Date.now();
    const samples: ScaleSample[] = [];
    let latest = await look(0);
    let scaledAtMs: number | undefined;
    let stuck: string | undefined;
    try {
      for (;;) {
        samples.push(latest.sample);
        if (latest.sample.replicas >= goal) {
          scaledAtMs = latest.sample.atMs;
          break;
        }
        stuck = latest.hpa ? stuckReason(latest.hpa) : `${what} was deleted`;
        if (stuck || Date.now() - started + LOOK_EVERY_MS > timeoutMs) break;
        await sleep(LOOK_EVERY_MS, undefined, { signal: ctx.signal });
        latest = await look(Date.now() - started);
      }
    } finally {
      stopLoad.abort();
    }
    const load = await loading;
    const summary = load.summary;
    const evidence = redact([
      `load: ${target.shown}${spec.path} at ${spec.rate}/s from kadai's probe Pod — ${summary ? `${summary.sent} sent, ${summary.ok} ok, ${summary.failed} failed, latency p50 ${summary.latencyMs.p50} ms / p95 ${summary.latencyMs.p95} ms` : `${load.requests.length} answers (no summary)`}`,
      row(`Deployment ${deploymentName} replicas`, scaledAtMs !== undefined, `at least ${goal} (min ${hpa.spec?.minReplicas ?? 1}, max ${max})`, latest.sample.replicas),
      ...(scaledAtMs === undefined ? [] : [`scaled out ${(scaledAtMs / 1000).toFixed(1)} s after the load started`]),
      '--- replica curve (HPA status and Deployment) ---',
      ...replicaCurve(samples, cpuTarget(hpa)),
      '--- HPA conditions ---',
      ...conditionLines(latest.hpa),
    ].join('\n'));
    if (scaledAtMs !== undefined) {
      const seconds = (scaledAtMs / 1000).toFixed(1);
      return pass(`負荷をかけると ${what} が ${seconds} 秒で Deployment ${deploymentName} を ${latest.sample.replicas} レプリカに増やしました。`, `Under load, ${what} scaled Deployment ${deploymentName} out to ${latest.sample.replicas} replicas in ${seconds} s.`, evidence);
    }
    const why = stuck
      ? { ja: `${what} はスケールできません（${stuck}）。`, en: `${what} cannot scale (${stuck}).` }
      : { ja: `負荷をかけても ${timeoutMs / 1000} 秒以内に ${what} が ${goal} レプリカ以上に増やしませんでした（最後は ${latest.sample.replicas}）。`, en: `Under load, ${what} did not scale out to ${goal} or more replicas within ${timeoutMs / 1000} s (last: ${latest.sample.replicas}).` };
    return failure(ctx, why, evidence, [latest.hpa ?? hpa, ...(latest.deployment ? [latest.deployment] : [])]);
  },
});
