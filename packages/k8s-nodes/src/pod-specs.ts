import type { KubernetesObject } from '@kubernetes/client-node';
import { POD_SPEC_PATHS, type FieldPath } from '@kadai/k8s-vetting';

export type PodSpec = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The Pod spec (or Pod template spec) of an object and its path, if its kind makes Pods. */
export function podSpecOf(object: KubernetesObject): { spec: PodSpec; path: FieldPath } | undefined {
  const found = POD_SPEC_PATHS[object.kind ?? ''];
  if (!found) return undefined;
  const path: FieldPath = [...found];
  let current: unknown = object;
  for (const key of path) current = isRecord(current) ? current[key as string] : undefined;
  return isRecord(current) ? { spec: current, path } : undefined;
}

export const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);
export { isRecord };
