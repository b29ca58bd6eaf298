import { posix } from 'node:path';
import { parseQuantity } from './quantity';
import { isRecord, type Report } from './report';

/**
 * What a lab lets a submission declare of its own PersistentVolumes (EX-5.2's hostPath PV). kadai
 * never applies them as written: the grader creates a copy per attempt (its own name, a directory
 * of its own, bound to the attempt's claim) — vetting bounds what that copy may be.
 */
export interface VolumeAllowance {
  /** PersistentVolumes in the whole submission. */
  max: number;
  /** Largest `spec.capacity.storage` (a quantity). */
  capacity: string;
  /** `spec.hostPath.path` must be one of these directories or below one. */
  hostPathUnder: readonly string[];
}

const SPEC_FIELDS = new Set(['capacity', 'accessModes', 'hostPath', 'storageClassName', 'persistentVolumeReclaimPolicy', 'volumeMode', 'mountOptions']);

/** A PersistentVolume within the lab's allowance: only a hostPath below an allowed directory, no bigger than allowed. */
export function checkPersistentVolume(object: Record<string, unknown>, allowance: VolumeAllowance, report: Report): void {
  const spec = isRecord(object.spec) ? object.spec : {};
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(key)) report(['spec', key], `spec.${key} is not accepted on a PersistentVolume here (kadai binds the copy to the attempt's claim itself)`);
  }
  const path = isRecord(spec.hostPath) ? spec.hostPath.path : undefined;
  const normalized = typeof path === 'string' ? posix.normalize(path) : '';
  const under = allowance.hostPathUnder.some((dir) => `${normalized.replace(/\/$/, '')}/`.startsWith(`${posix.normalize(dir).replace(/\/$/, '')}/`));
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('..') || !under) {
    report(['spec', 'hostPath', 'path'], `a PersistentVolume here is a hostPath under ${allowance.hostPathUnder.join(' or ')}`);
  }
  const storage = parseQuantity(isRecord(spec.capacity) ? spec.capacity.storage : undefined);
  const limit = parseQuantity(allowance.capacity) ?? 0;
  if (storage === undefined || storage > limit) report(['spec', 'capacity', 'storage'], `capacity.storage must be at most ${allowance.capacity}`);
}
