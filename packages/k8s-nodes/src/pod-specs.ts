import type { KubernetesObject } from '@kubernetes/client-node';
import type { FieldPath } from '@kadai/k8s-vetting';

export type PodSpec = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where each kind keeps the spec of the Pods it makes. */
const POD_SPEC_PATHS: Readonly<Record<string, FieldPath>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The Pod spec (or Pod template spec) of an object and its path, if its kind makes Pods. */
export function podSpecOf(object: KubernetesObject): { spec: PodSpec; path: FieldPath } | undefined {
  const path = POD_SPEC_PATHS[object.kind ?? ''];
  if (!path) return undefined;
  let current: unknown = object;
  for (const key of path) current = isRecord(current) ? current[key as string] : undefined;
  return isRecord(current) ? { spec: current, path } : undefined;
}

export const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);
export { isRecord };
