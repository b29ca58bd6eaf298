import type { KubernetesObject } from '@kubernetes/client-node';
import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { formatPath, type FieldPath, type Position } from './locate';
import { checkObject } from './objects';
import { parseManifestFiles, type SourceObject } from './parse';
import type { LabPolicy } from './policy';
import { QuotaTally } from './quota';
import type { Report } from './report';

/** A vetted object and where it was written, so later refusals (the dry run's) can name file, document and line. */
export interface VettedObject {
  object: KubernetesObject;
  file: string;
  /** 1-based document number in the file. */
  document: number;
  /** Index in a `List`'s items, when the object came from one. */
  item?: number;
  /** `document N[, item I], Kind/name`, as vetting's own messages start. */
  label: string;
  /** Where a field of the object was written (the deepest part of the path that exists in the source). */
  locate(path: FieldPath): Position | undefined;
}

/**
 * Reads a submission's manifests and judges every object against the lab's policy before anything
 * reaches the cluster. Resolves with the objects to apply, each in the attempt's namespace, or
 * throws a RejectedInputError listing every problem of every file (no attempt used).
 */
export function vetManifests(files: ReadonlyMap<string, Buffer>, policy: LabPolicy, attemptNamespace: string): KubernetesObject[] {
  return vetManifestSources(files, policy, attemptNamespace).map((vetted) => vetted.object);
}

/**
 * Where objects go besides the attempt's own namespace: the course's other namespaces (`team1`) by
 * the attempt's namespace standing for each, and the stage's default (`kubectl apply -n team1`).
 */
export interface NamespaceMapping {
  course?: ReadonlyMap<string, string>;
  /** A course namespace objects without one go to (else the attempt's own). */
  stageDefault?: string;
}

/** vetManifests, keeping each object's source (file, document, field positions). */
export function vetManifestSources(files: ReadonlyMap<string, Buffer>, policy: LabPolicy, attemptNamespace: string, mapping: NamespaceMapping = {}): VettedObject[] {
  const course = mapping.course ?? new Map<string, string>();
  const placeOf = (object: KubernetesObject): string => {
    const ns = object.metadata?.namespace;
    if (ns !== undefined && course.has(ns)) return course.get(ns) as string;
    if (ns === undefined && mapping.stageDefault !== undefined) return course.get(mapping.stageDefault) ?? attemptNamespace;
    return attemptNamespace;
  };
  const parsed = parseManifestFiles(files, policy.limits);
  if (parsed.tooLarge) throw rejection(parsed.issues, 413);
  const issues = [...parsed.issues];
  const tally = new QuotaTally(policy.quota);
  let volumes = 0;
  for (const source of parsed.objects) {
    const report = reporter(source, issues);
    checkObject(source.object, policy, { own: attemptNamespace, course, stageDefault: mapping.stageDefault }, report);
    tally.add(source.object, report);
    if (source.object.kind === 'PersistentVolume' && policy.persistentVolumes && ++volumes > policy.persistentVolumes.max) report(['kind'], `at most ${policy.persistentVolumes.max} PersistentVolume(s) in this lab`);
  }
  if (issues.length === 0 && parsed.objects.length === 0) issues.push({ message: 'no Kubernetes object in the submitted manifests' });
  if (issues.length > 0) throw rejection(issues, 422);
  // a Namespace document naming one of the course's namespaces means "it exists": kadai made it
  return parsed.objects.filter((source) => source.object.kind !== 'Namespace').map((source) => {
    const { object } = source;
    // a PersistentVolume (where the lab allows one) is cluster-scoped: no namespace
    const metadata: Record<string, unknown> = { ...(object.metadata as Record<string, unknown>), namespace: placeOf(object) };
    if (object.kind === 'PersistentVolume') delete metadata.namespace;
    return {
      object: { ...object, metadata } as KubernetesObject,
      file: source.file,
      document: source.document,
      ...(source.item !== undefined ? { item: source.item } : {}),
      label: describe(source),
      locate: (path: FieldPath) => source.locator.locate(path),
    };
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
