import type { KubernetesObject } from '@kubernetes/client-node';
import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { formatPath } from './locate';
import { checkObject } from './objects';
import { parseManifestFiles, type SourceObject } from './parse';
import type { LabPolicy } from './policy';
import { QuotaTally } from './quota';
import type { Report } from './report';

/**
 * Reads a submission's manifests and judges every object against the lab's policy before anything
 * reaches the cluster. Resolves with the objects to apply, each in the attempt's namespace, or
 * throws a RejectedInputError listing every problem of every file (no attempt used).
 */
export function vetManifests(files: ReadonlyMap<string, Buffer>, policy: LabPolicy, attemptNamespace: string): KubernetesObject[] {
  const parsed = parseManifestFiles(files, policy.limits);
  if (parsed.tooLarge) throw rejection(parsed.issues, 413);
  const issues = [...parsed.issues];
  const tally = new QuotaTally(policy.quota);
  for (const source of parsed.objects) {
    const report = reporter(source, issues);
    checkObject(source.object, policy, attemptNamespace, report);
    tally.add(source.object, report);
  }
  if (issues.length === 0 && parsed.objects.length === 0) issues.push({ message: 'no Kubernetes object in the submitted manifests' });
  if (issues.length > 0) throw rejection(issues, 422);
  return parsed.objects.map(({ object }) => {
    const metadata = { ...(object.metadata as Record<string, unknown>), namespace: attemptNamespace };
    return { ...object, metadata } as KubernetesObject;
  });
}

function describe(source: SourceObject): string {
  const { object } = source;
  const name = (object.metadata as { name?: unknown } | undefined)?.name;
  const item = source.item !== undefined ? `, item ${source.item}` : '';
  return `document ${source.document}${item}, ${String(object.kind ?? '?')}/${typeof name === 'string' ? name : '?'}`;
}

function reporter(source: SourceObject, issues: InputIssue[]): Report {
  return (path, message) => {
    const listPrefix = source.item !== undefined ? ['items', source.item] : [];
    issues.push({ file: source.file, ...source.locator.locate(path), field: formatPath([...listPrefix, ...path]), message: `${describe(source)}: ${message}` });
  };
}

function rejection(issues: InputIssue[], status: 413 | 422): RejectedInputError {
  const first = issues[0] as InputIssue;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new RejectedInputError(`the manifests cannot be applied: ${formatIssue(first)}${more}`, issues, status);
}
