import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { formatPath, type FieldPath, type VettedObject } from '@kadai/k8s-vetting';
import { ATTEMPT_NODE_LABEL } from './labels';
import { isRecord, podSpecOf, records } from './pod-specs';

const HOSTNAME = 'kubernetes.io/hostname';
/** Label keys of the cluster's own nodes' roles: a Pod may not ask for the control plane. */
const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const KADAI_PREFIX = 'kadai.dev/';

/**
 * Where a submission's Pods may ask to run. Every lab: no `spec.nodeName` (it skips the scheduler,
 * and with it the attempt's own node set), no toleration of every taint, no toleration or node
 * selection by kadai's own keys, no selection of the control plane. A scheduling lab (nodes declared):
 * a hostname named in a nodeSelector or node affinity must be one of its nodes, by the course's names.
 * Every problem is reported with file, line and field; nothing is applied.
 */
export function placementIssues(objects: Iterable<VettedObject>, nodeNames: readonly string[]): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const vetted of objects) {
    const found = podSpecOf(vetted.object);
    if (!found) continue;
    const report = (path: FieldPath, message: string) => {
      const at = vetted.locate(path);
      issues.push({ file: vetted.file, ...(at ?? {}), field: formatPath(path), message: `${vetted.label}: ${message}` });
    };
    const { spec, path } = found;
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      report([...path, 'nodeName'], `nodeName is not allowed: it bypasses the scheduler that this lab grades; use a nodeSelector (kubernetes.io/hostname: ${nodeNames[0] ?? 'NAME'})`);
    }
    records(spec.tolerations).forEach((toleration, i) => {
      const key = typeof toleration.key === 'string' ? toleration.key : '';
      if (!key) report([...path, 'tolerations', i], 'a toleration without a key tolerates every taint of every node: name the taint\'s key');
      else if (key.startsWith(KADAI_PREFIX)) report([...path, 'tolerations', i, 'key'], `${key} is kadai's own taint; it cannot be tolerated`);
    });
    const checkKey = (at: FieldPath, key: string, values: readonly string[]) => {
      if (key.startsWith(NODE_ROLE_PREFIX)) report(at, `${key}: Pods may not ask for the cluster's control plane; use the lab's nodes`);
      else if (key.startsWith(KADAI_PREFIX) || key === ATTEMPT_NODE_LABEL) report(at, `${key} is kadai's own node label; it cannot be selected`);
      else if (key === HOSTNAME && nodeNames.length) {
        const foreign = values.filter((v) => !nodeNames.includes(v));
        if (foreign.length) report(at, `node "${foreign.join('", "')}" is not one of this lab's nodes (${nodeNames.join(', ')})`);
      }
    };
    if (isRecord(spec.nodeSelector)) {
      for (const [key, value] of Object.entries(spec.nodeSelector)) checkKey([...path, 'nodeSelector', key], key, [String(value)]);
    }
    const nodeAffinity = isRecord(spec.affinity) && isRecord(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : undefined;
    const required = nodeAffinity && isRecord(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) ? nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
    const base = [...path, 'affinity', 'nodeAffinity'];
    records(required?.nodeSelectorTerms).forEach((term, t) => {
      records(term.matchExpressions).forEach((expr, e) => {
        checkKey([...base, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms', t, 'matchExpressions', e, 'key'], String(expr.key ?? ''), Array.isArray(expr.values) ? expr.values.map(String) : []);
      });
    });
    records(nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).forEach((pref, p) => {
      const preference = isRecord(pref.preference) ? pref.preference : {};
      records(preference.matchExpressions).forEach((expr, e) => {
        checkKey([...base, 'preferredDuringSchedulingIgnoredDuringExecution', p, 'preference', 'matchExpressions', e, 'key'], String(expr.key ?? ''), Array.isArray(expr.values) ? expr.values.map(String) : []);
      });
    });
  }
  return issues;
}

/** placementIssues as a rejection of the whole submission (no attempt used), or nothing. */
export function checkPlacement(objects: Iterable<VettedObject>, nodeNames: readonly string[]): void {
  const issues = placementIssues(objects, nodeNames);
  if (!issues.length) return;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new RejectedInputError(`the submission asks for nodes it may not use: ${formatIssue(issues[0] as InputIssue)}${more}`, issues, 422);
}
