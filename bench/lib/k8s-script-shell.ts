/**
 * Shell pieces of the kubectl script of bench/k8s-labs.ts (lib/k8s-check-script.ts and its step
 * files): quoting, the `-n`/`-l` arguments of a check's resource, and the bounded poll every check
 * that waits is made of. The script defines `k` (kubectl with the run's kubeconfig), `$NS` and
 * `$JUDGE` (k8s-judge.py).
 */

/** kadai's poll intervals (packages/grader-kubernetes): what it watches every 0.5 s (watchResource, a replacement Pod), exec and http every 1 s. */
export const WATCH_EVERY_SECONDS = 0.5;
export const EXEC_EVERY_SECONDS = 1;

export interface ResourceRef {
  kind: string;
  name?: string;
  selector?: Record<string, string>;
  namespace?: string;
  claim?: string;
}

/** A word for bash, single-quoted. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `-n <namespace>`: the run's namespace or its copy of the course's (team1). */
export const nsArg = (r: ResourceRef): string => `-n ${r.namespace && r.namespace !== 'default' ? `$NS-${r.namespace}` : '$NS'}`;
export const selectorArg = (r: ResourceRef): string => (r.selector ? ` -l ${q(Object.entries(r.selector).map(([k, v]) => `${k}=${v}`).join(','))}` : '');
/** `-n <namespace> get <kind> [name | -l selector]`. */
export const getArgs = (r: ResourceRef): string => `${nsArg(r)} get ${r.kind}${r.name ? ` ${r.name}` : ''}${selectorArg(r)}`;

/**
 * `until <test>; do … sleep <every>; done` bounded by the check's time limit; `$held` says whether
 * it held. A poll that runs out prints `WAIT-TIMEOUT <check id>` on stderr and the script goes on,
 * as kadai's next check would.
 */
export function pollLines(id: string, timeoutSeconds: number, test: string, every = WATCH_EVERY_SECONDS): string {
  return `held=1; end=$((SECONDS + ${timeoutSeconds})); until ${test}; do if [ $SECONDS -ge $end ]; then echo ${q(`WAIT-TIMEOUT ${id}`)} >&2; held=0; break; fi; sleep ${every}; done`;
}

/** A one-shot step (no poll) that did not give kadai's expected result: `CHECK-FAILED <check id>` on stderr. */
export const failedLine = (id: string): string => `echo ${q(`CHECK-FAILED ${id}`)} >&2`;
