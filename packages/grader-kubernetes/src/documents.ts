import type { KubernetesLabDefinition } from '@kadai/catalog';
import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { DEFAULT_MANIFEST_LIMITS, parseManifestFiles } from '@kadai/k8s-vetting';

/** A lab's data files (`kubernetes.documents`) as parsed: file → its documents, in order. */
export type Documents = ReadonlyMap<string, readonly Record<string, unknown>[]>;

/**
 * Reads the files a lab takes as data — an IAM policy, an eksctl ClusterConfig, an object of a kind
 * the grading cluster has no stand-in for — with the manifest parser's YAML rules and size limits
 * (JSON is YAML), so a broken file is refused with its line and column before anything is applied.
 * They are never applied or vetted as manifests: only `document` steps read them.
 */
export function readDocuments(def: KubernetesLabDefinition, files: ReadonlyMap<string, Buffer>): Documents {
  const issues: InputIssue[] = [];
  const present = new Map<string, Buffer>();
  for (const file of def.kubernetes.documents) {
    const data = files.get(file);
    if (data === undefined) issues.push({ file, message: 'this file is missing from the submission' });
    else present.set(file, data);
  }
  const parsed = parseManifestFiles(present, DEFAULT_MANIFEST_LIMITS);
  issues.push(...parsed.issues);
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new RejectedInputError(`the submission cannot be read: ${formatIssue(issues[0] as InputIssue)}${more}`, issues, parsed.tooLarge ? 413 : 422);
  }
  const documents = new Map<string, Record<string, unknown>[]>([...present.keys()].map((file) => [file, []]));
  for (const source of parsed.objects) documents.get(source.file)?.push(source.object);
  return documents;
}
