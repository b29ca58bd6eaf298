import path from 'node:path';

/**
 * The by-hand equivalent of a Kubernetes lab's checks, as lines of the kubectl script of
 * bench/k8s-labs.ts: each check that reads or waits on the cluster becomes the kubectl a person
 * would run for it, bounded by the check's own time limit, so the script does the same observable
 * work as kadai (the same load, the same scale-out, restart, event or endpoint change waited for).
 * Written from the checks' fields, never from a lab's name. The script defines `k` (kubectl with the
 * run's kubeconfig), `$NS` and `$JUDGE` (k8s-judge.py); a wait that runs out prints
 * `WAIT-TIMEOUT <check id>` on stderr and the script goes on, as kadai's next check would.
 */

/** Check types the script does as kadai does (`apply` is the lab's stages and fixtures, written by the caller). */
const SCRIPTED = new Set(['apply', 'assert', 'wait', 'absent', 'events', 'restarted', 'hpaScaleOut', 'document']);
/** Defaults of packages/grader-kubernetes (POLL_TIMEOUT_SECONDS, HPA_SCALE_OUT_TIMEOUT_SECONDS). */
const POLL_TIMEOUT_SECONDS = 60;
const HPA_SCALE_OUT_TIMEOUT_SECONDS = 180;

export const JUDGE_FILE = path.join(__dirname, 'k8s-judge.py');

interface ResourceRef {
  kind: string;
  name?: string;
  selector?: Record<string, string>;
  namespace?: string;
  claim?: string;
}

export interface CheckFields {
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
  path?: string;
  rate?: number;
  expect?: { replicasAtLeast?: number };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Why a lab's checks cannot all be done by the script (undefined: they can): a check type kubectl
 * has no plain equivalent for here (http, exec, persist, rolloutWatch, per-attempt nodes…) or a
 * volume selected by claim. Such a lab's script converges and probes once instead.
 */
export function unscriptedChecks(checks: readonly CheckFields[]): string[] {
  return checks.filter((c) => !SCRIPTED.has(c.type) || c.resource?.claim !== undefined).map((c) => `${c.id} (${c.type})`);
}

/** `-n <namespace>`: the run's namespace or its copy of the course's (team1). */
const nsArg = (r: ResourceRef) => `-n ${r.namespace && r.namespace !== 'default' ? `$NS-${r.namespace}` : '$NS'}`;
const selectorArg = (r: ResourceRef) => (r.selector ? ` -l ${q(Object.entries(r.selector).map(([k, v]) => `${k}=${v}`).join(','))}` : '');
/** `-n <namespace> get <kind> [name | -l selector]`. */
const getArgs = (r: ResourceRef) => `${nsArg(r)} get ${r.kind}${r.name ? ` ${r.name}` : ''}${selectorArg(r)}`;

/** `until <test>; do … sleep <every>; done` bounded by the check's time limit; `$held` says whether it held. */
function pollLines(id: string, timeoutSeconds: number, test: string, every = 1): string {
  return `held=1; end=$((SECONDS + ${timeoutSeconds})); until ${test}; do if [ $SECONDS -ge $end ]; then echo ${q(`WAIT-TIMEOUT ${id}`)} >&2; held=0; break; fi; sleep ${every}; done`;
}

/** The kubectl lines of one check that is not an `apply` (applies are the caller's: stages and fixtures). */
export function checkLines(check: CheckFields): string[] {
  const r = check.resource;
  const timeout = check.timeoutSeconds ?? POLL_TIMEOUT_SECONDS;
  switch (check.type) {
    case 'assert': {
      // source: submitted reads the files as handed in: nothing on the cluster
      if (check.source === 'submitted' || !r) return [];
      const spec = JSON.stringify({ list: !r.name, ...(check.match ? { match: check.match } : {}), ...(check.count ? { count: check.count } : {}), ...(check.jmespath ? { jmespath: check.jmespath } : {}) });
      return [pollLines(check.id, timeout, `k ${getArgs(r)} -o json 2>/dev/null | python3 "$JUDGE" ${q(spec)}`)];
    }
    case 'absent':
      return r ? [pollLines(check.id, timeout, `[ -z "$(k ${getArgs(r)} -o name --ignore-not-found 2>/dev/null)" ]`)] : [];
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
