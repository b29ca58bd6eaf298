import { EXEC_EVERY_SECONDS, failedLine, nsArg, pollLines, q, selectorArg, type ResourceRef } from './k8s-script-shell';

/**
 * The kubectl equivalents of the checks that act in or on Pods (`exec`, `logs`, `persist`,
 * `deletePod`), as lines of the script of bench/k8s-labs.ts — what kadai's grader does
 * (packages/grader-kubernetes/src/steps/{exec,logs,persist,delete-pod}.ts, pods.ts), step for step,
 * at its poll intervals.
 */

export interface PodCheckFields {
  id: string;
  timeoutSeconds?: number;
  resource?: ResourceRef;
  container?: string;
  command?: string[];
  stdoutContains?: string;
  stdoutMatches?: string;
  exitCode?: number;
  contains?: string;
  matches?: string;
  path?: string;
  content?: string;
}

/** The Pod documents of the submission, for a bare Pod kadai applies again after deleting it (persist). */
export type PodManifest = (name: string) => string | undefined;

/** Whether the script can do the check as kadai does: exec/logs on Pods or a named workload, persist/deletePod on Pods (kadai also takes a workload's current Pods; no lab asks it). */
export function podCheckScripted(type: string, r: ResourceRef | undefined): boolean {
  if (!r) return false;
  if (type === 'exec' || type === 'logs') return r.kind === 'Pod' || r.name !== undefined;
  return r.kind === 'Pod';
}

/** Each Pod as `name|deletionTimestamp|Ready|uid|controller uid|label=value,…`, one a line (what kadai judges a Pod by and finds its replacement with). */
const podTable = (r: ResourceRef, select: string) => {
  const row = [
    '{{.metadata.name}}',
    '{{with .metadata.deletionTimestamp}}{{.}}{{end}}',
    '{{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}{{end}}',
    '{{.metadata.uid}}',
    '{{with .metadata.ownerReferences}}{{(index . 0).uid}}{{end}}',
    '{{range $k, $v := .metadata.labels}}{{$k}}={{$v}},{{end}}',
  ].join('|');
  return `k ${nsArg(r)} get pod${select} -o go-template=${q(`{{range .items}}${row}{{"\\n"}}{{end}}`)} 2>/dev/null`;
};

/**
 * `P`, `OLD` (its uid), `OWNER` (its controller's uid), `LABELS`: the first Ready Pod not being
 * deleted that the reference selects, polled as kadai's readyPods.
 */
function readyPodLine(id: string, r: ResourceRef, timeoutSeconds: number): string {
  const select = r.name ? ` --field-selector metadata.name=${r.name}` : selectorArg(r);
  const first = `${podTable(r, select)} | awk -F'|' '$2=="" && $3=="True" {print $1 "|" $4 "|" $5 "|" $6; exit}'`;
  return pollLines(id, timeoutSeconds, `IFS='|' read -r P OLD OWNER LABELS <<<"$(${first})"; [ -n "$P" ]`);
}

/** `exec`: a Ready Pod (or the workload: kubectl picks one of its Pods), then the command run every second until its exit code and output are kadai's expected ones. */
export function execLines(check: PodCheckFields, timeoutSeconds: number): string[] {
  const r = check.resource!;
  const lines: string[] = [];
  if (r.kind === 'Pod') lines.push(readyPodLine(check.id, r, timeoutSeconds));
  const target = r.kind === 'Pod' ? '"$P"' : `${r.kind.toLowerCase()}/${r.name}`;
  const container = check.container ? ` -c ${q(check.container)}` : '';
  const expected = [`[ $? -eq ${check.exitCode ?? 0} ]`];
  if (check.stdoutContains !== undefined) expected.push(`printf '%s' "$out" | grep -qF -- ${q(check.stdoutContains)}`);
  if (check.stdoutMatches !== undefined) expected.push(`printf '%s' "$out" | grep -qE -- ${q(check.stdoutMatches)}`);
  lines.push(pollLines(check.id, timeoutSeconds, `out=$(k ${nsArg(r)} exec ${target}${container} -- ${check.command!.map(q).join(' ')} 2>/dev/null); ${expected.join(' && ')}`, EXEC_EVERY_SECONDS));
  return lines;
}

/** `logs`: the container's log (its last 200 lines, as kadai reads), and its previous run's when the current one lacks the line, polled. */
export function logsLines(check: PodCheckFields, timeoutSeconds: number): string[] {
  const r = check.resource!;
  const target = r.name ? `${r.kind.toLowerCase()}/${r.name}` : selectorArg(r).trim();
  const container = check.container ? ` -c ${q(check.container)}` : '';
  const grep = check.contains !== undefined ? `grep -qF -- ${q(check.contains)}` : `grep -qE -- ${q(check.matches ?? '')}`;
  const read = (previous: string) => `k ${nsArg(r)} logs ${target}${container}${previous} --tail=200 2>/dev/null | ${grep}`;
  return [pollLines(check.id, timeoutSeconds, `{ ${read('')}; } || { ${read(' --previous')}; }`)];
}

/**
 * The Pod `$P` deleted and its replacement `$NEW` waited for Ready (a new uid, the same controller;
 * a bare Pod, once gone, applied again from the submission as kadai does), as kadai's deleteAndReplace.
 */
function replaceLines(check: PodCheckFields, r: ResourceRef, timeoutSeconds: number, podManifest: PodManifest): string[] {
  const document = r.name ? podManifest(r.name) : undefined;
  const reapply = document ? `printf '%s\\n' ${q(document)} | k ${nsArg(r)} apply -f - >/dev/null` : failedLine(check.id);
  // kadai looks for it among the Pods with the old one's labels (a bare Pod: by its name)
  const replacement = `${podTable(r, ' $SELECT')} | awk -F'|' -v old="$OLD" -v owner="$OWNER" '$4!=old && $5==owner && $2=="" && $3=="True" {print $1; exit}'`;
  return [
    'if [ -n "$OWNER" ] && [ -n "$LABELS" ]; then SELECT="-l ${LABELS%,}"; else SELECT="--field-selector metadata.name=$P"; fi',
    `k ${nsArg(r)} delete pod "$P" --wait=false >/dev/null`,
    `if [ -z "$OWNER" ]; then ${pollLines(check.id, timeoutSeconds, `! k ${nsArg(r)} get pod "$P" >/dev/null 2>&1`)}; ${reapply}; fi`,
    pollLines(check.id, timeoutSeconds, `NEW=$(${replacement}); [ -n "$NEW" ]`),
  ];
}

/** `deletePod`: a Ready Pod deleted, its replacement Ready within the check's time. */
export function deletePodLines(check: PodCheckFields, timeoutSeconds: number, podManifest: PodManifest): string[] {
  const r = check.resource!;
  return [readyPodLine(check.id, r, timeoutSeconds), ...replaceLines(check, r, timeoutSeconds, podManifest)];
}

/** `persist`: `content` written at `path` through exec, the Pod replaced, the file read back in the new Pod (half the check's time for each wait, as kadai). */
export function persistLines(check: PodCheckFields, timeoutSeconds: number, podManifest: PodManifest): string[] {
  const r = check.resource!;
  const half = Math.round(timeoutSeconds / 2);
  const container = check.container ? ` -c ${q(check.container)}` : '';
  const write = ['sh', '-c', 'printf %s "$1" > "$2"', 'kadai', check.content ?? '', check.path ?? ''].map(q).join(' ');
  return [
    readyPodLine(check.id, r, half),
    `k ${nsArg(r)} exec "$P"${container} -- ${write} >/dev/null 2>&1 || ${failedLine(check.id)}`,
    ...replaceLines(check, r, half, podManifest),
    `[ "$(k ${nsArg(r)} exec "$NEW"${container} -- cat ${q(check.path ?? '')} 2>/dev/null)" = ${q(check.content ?? '')} ] || ${failedLine(check.id)}`,
  ];
}
