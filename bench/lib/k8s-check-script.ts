import path from 'node:path';
import { deletePodLines, execLines, logsLines, persistLines, podCheckScripted, type PodCheckFields, type PodManifest } from './k8s-check-pods';
import { httpLines, type HttpCheckFields } from './k8s-check-http';
import { getArgs, nsArg, pollLines, q, selectorArg, type ResourceRef } from './k8s-script-shell';

/**
 * The by-hand equivalent of a Kubernetes lab's checks, as lines of the kubectl script of
 * bench/k8s-labs.ts: each check that reads, waits on or acts in the cluster becomes the kubectl a
 * person would run for it, bounded by the check's own time limit and polled at kadai's intervals,
 * so the script does the same observable work as kadai (the same load, the same scale-out, restart,
 * event or endpoint change waited for, the same commands run in the same containers, the same
 * requests from inside the cluster, the same Pods deleted and waited for). Written from the checks'
 * fields, never from a lab's name. The script defines `k` (kubectl with the run's kubeconfig), `$NS`
 * and `$JUDGE` (k8s-judge.py); a wait that runs out prints `WAIT-TIMEOUT <check id>` on stderr (a
 * one-shot step that fails `CHECK-FAILED <check id>`) and the script goes on, as kadai's next check would.
 */

/** Check types the script does as kadai does (`apply` is the lab's stages and fixtures, written by the caller). */
const SCRIPTED = new Set(['apply', 'assert', 'wait', 'absent', 'events', 'restarted', 'hpaScaleOut', 'document', 'exec', 'logs', 'persist', 'deletePod', 'http', 'rolloutUndo']);
const ON_PODS = new Set(['exec', 'logs', 'persist', 'deletePod']);
/** Defaults of packages/grader-kubernetes (POLL_TIMEOUT_SECONDS, PERSIST_TIMEOUT_SECONDS, HPA_SCALE_OUT_TIMEOUT_SECONDS). */
const POLL_TIMEOUT_SECONDS = 60;
const PERSIST_TIMEOUT_SECONDS = 120;
const HPA_SCALE_OUT_TIMEOUT_SECONDS = 180;

export const JUDGE_FILE = path.join(__dirname, 'k8s-judge.py');

export interface CheckFields extends PodCheckFields, HttpCheckFields {
  id: string;
  type: string;
  timeoutSeconds?: number;
  resource?: ResourceRef;
  source?: string;
  match?: unknown;
  count?: { min?: number; max?: number };
  jmespath?: unknown[];
  condition?: string;
  phase?: string;
  holdSeconds?: number;
  reason?: string;
  messageContains?: string;
  eventType?: string;
  container?: string;
  hpa?: string;
  service?: string;
  port?: number | string;
  rate?: number;
  toRevision?: number;
  expect?: { replicasAtLeast?: number };
}

/**
 * Why a lab's checks cannot all be done by the script (empty: they can): a check type kubectl has
 * no plain equivalent for here (rolloutWatch, per-attempt nodes, commands…), a step on a workload's
 * Pods the script does not select, or volumes selected by claim outside assert/absent. Such a lab's
 * script converges and probes once instead.
 */
export function unscriptedChecks(checks: readonly CheckFields[]): string[] {
  return checks
    .filter((c) => !SCRIPTED.has(c.type) || (c.resource?.claim !== undefined && c.type !== 'assert' && c.type !== 'absent') || (ON_PODS.has(c.type) && !podCheckScripted(c.type, c.resource)))
    .map((c) => `${c.id} (${c.type})`);
}

/** A claim's volumes (cluster-scoped, named by the cluster): `kubectl get pv` judged for those bound to the run's claim (k8s-judge.py's `claim`, the namespace its argv[2]). */
const judged = (r: ResourceRef, spec: Record<string, unknown>) =>
  r.claim !== undefined ? `k get persistentvolume -o json 2>/dev/null | python3 "$JUDGE" ${q(JSON.stringify({ ...spec, list: true, claim: r.claim }))} "$NS"` : `k ${getArgs(r)} -o json 2>/dev/null | python3 "$JUDGE" ${q(JSON.stringify(spec))}`;

/**
 * The kubectl lines of one check that is not an `apply` (applies are the caller's: stages and
 * fixtures); `podManifest` gives a bare Pod's document from the submission (persist applies it again).
 */
export function checkLines(check: CheckFields, podManifest: PodManifest = () => undefined): string[] {
  const r = check.resource;
  const timeout = check.timeoutSeconds ?? POLL_TIMEOUT_SECONDS;
  switch (check.type) {
    case 'assert': {
      // source: submitted reads the files as handed in: nothing on the cluster
      if (check.source === 'submitted' || !r) return [];
      const spec = { list: !r.name, ...(check.match ? { match: check.match } : {}), ...(check.count ? { count: check.count } : {}), ...(check.jmespath ? { jmespath: check.jmespath } : {}) };
      return [pollLines(check.id, timeout, judged(r, spec))];
    }
    case 'absent':
      if (!r) return [];
      if (r.claim !== undefined) return [pollLines(check.id, timeout, judged(r, { count: { min: 0, max: 0 } }))];
      return [pollLines(check.id, timeout, `[ -z "$(k ${getArgs(r)} -o name --ignore-not-found 2>/dev/null)" ]`)];
    case 'exec':
      return execLines(check, timeout);
    case 'logs':
      return logsLines(check, timeout);
    case 'deletePod':
      return deletePodLines(check, timeout, podManifest);
    case 'persist':
      return persistLines(check, check.timeoutSeconds ?? PERSIST_TIMEOUT_SECONDS, podManifest);
    case 'http':
      return httpLines(check, timeout);
    case 'rolloutUndo':
      return r?.name ? [`k ${nsArg(r)} rollout undo deployment/${r.name}${check.toRevision ? ` --to-revision=${check.toRevision}` : ''} >/dev/null`] : [];
    case 'wait': {
      if (!r) return [];
      const target = r.name ? `${r.kind}/${r.name}` : r.selector ? `${r.kind}${selectorArg(r)}` : `${r.kind} --all`;
      const condition = check.phase !== undefined ? `--for=jsonpath={.status.phase}=${check.phase}` : `--for=condition=${check.condition ?? 'Ready'}`;
      // kubectl wait refuses at once while nothing is selected yet: asked again until the check's limit
      const lines = [pollLines(check.id, timeout, `k ${nsArg(r)} wait ${target} ${condition} --timeout=5s >/dev/null 2>&1`)];
      // held: a person watches it stay so as long as kadai's check does
      if (check.holdSeconds) lines.push(`sleep ${check.holdSeconds}`);
      return lines;
    }
    case 'events': {
      if (!r) return [];
      const fields = [`involvedObject.kind=${r.kind}`, ...(r.name ? [`involvedObject.name=${r.name}`] : []), ...(check.reason ? [`reason=${check.reason}`] : []), ...(check.eventType ? [`type=${check.eventType}`] : [])].join(',');
      const seen = `k ${nsArg(r)} get events --field-selector ${q(fields)} -o jsonpath='{range .items[*]}{.message}{"\\n"}{end}' 2>/dev/null | grep -qF -- ${q(check.messageContains ?? '')}`;
      return [pollLines(check.id, timeout, seen)];
    }
    case 'restarted': {
      if (!r?.name) return [];
      const ns = nsArg(r);
      const status = check.container ? `?(@.name=="${check.container}")` : '0';
      const restarts = `"$(k ${ns} get pod ${r.name} -o jsonpath=${q(`{.status.containerStatuses[${status}].restartCount}`)} 2>/dev/null)"`;
      // then the Killing event and the container's last run, which kadai times
      return [pollLines(check.id, timeout, `[ ${restarts} -ge 1 ] 2>/dev/null`), `k ${ns} get events --field-selector involvedObject.name=${r.name},reason=Killing -o json >/dev/null`, `k ${ns} get pod ${r.name} -o json >/dev/null`];
    }
    case 'hpaScaleOut':
      return hpaLines(check);
    default:
      return [];
  }
}

/**
 * The same load as kadai's probe Pod (`rate` requests/s to the Service, each given 10 s) from a
 * busybox Pod, the HPA's Deployment read every 2 s until it has `replicasAtLeast` replicas, then
 * the load stopped. Prints `SCALED-OUT <ms>` (from the load's start) on stderr.
 */
function hpaLines(check: CheckFields): string[] {
  const timeout = check.timeoutSeconds ?? HPA_SCALE_OUT_TIMEOUT_SECONDS;
  const goal = check.expect?.replicasAtLeast ?? 2;
  const gap = (1 / (check.rate ?? 20)).toFixed(3);
  const url = `http://${check.service}:${check.port}${check.path ?? '/'}`;
  const load = `while :; do wget -q -T 10 -O /dev/null ${url} & sleep ${gap}; done`;
  return [
    `DEP=$(k -n $NS get hpa ${check.hpa} -o jsonpath='{.spec.scaleTargetRef.name}')`,
    `k -n $NS run kbench-load --image=busybox:1.36 --restart=Never --command -- sh -c ${q(load)} >/dev/null`,
    'k -n $NS wait pod/kbench-load --for=condition=Ready --timeout=60s >/dev/null',
    'LOAD_START=$(date +%s%3N)',
    pollLines(check.id, timeout, `[ "$(k -n $NS get deploy "$DEP" -o jsonpath='{.spec.replicas}')" -ge ${goal} ] 2>/dev/null`, 2),
    'if [ $held = 1 ]; then echo "SCALED-OUT $(( $(date +%s%3N) - LOAD_START ))" >&2; fi',
    'k -n $NS delete pod kbench-load --wait=false >/dev/null',
  ];
}
