import { POD_SPEC_PATHS } from './kinds';
import type { FieldPath } from './locate';
import type { AttemptQuota } from './policy';
import { list } from './pod-spec';
import { parseQuantity } from './quantity';
import { isRecord, valueAt, type Report } from './report';

type Resource = 'cpu' | 'memory' | 'storage';

/**
 * Adds up what the objects request and reports the object that takes a total past the attempt's
 * quota. Quota admission would refuse it too, but only once earlier objects were applied.
 * A container's limit counts when it has no request (the API server defaults one to the other).
 */
export class QuotaTally {
  private readonly used: Record<Resource, number> = { cpu: 0, memory: 0, storage: 0 };
  private readonly max: Record<Resource, number>;

  constructor(private readonly quota: AttemptQuota) {
    this.max = { cpu: parseQuantity(quota.cpu) ?? 0, memory: parseQuantity(quota.memory) ?? 0, storage: parseQuantity(quota.storage) ?? 0 };
  }

  add(object: Record<string, unknown>, report: Report): void {
    const kind = String(object.kind);
    const podSpec = POD_SPEC_PATHS[kind];
    const replicas = this.replicas(object, kind);
    if (podSpec) {
      const spec = valueAt(object, podSpec);
      for (const resource of ['cpu', 'memory'] as const) {
        for (const listName of ['initContainers', 'containers'] as const) {
          list(isRecord(spec) ? spec[listName] : undefined).forEach((container, i) => {
            const path: FieldPath = [...podSpec, listName, i, 'resources'];
            const requests = valueAt(container, ['resources', 'requests', resource]);
            const amount = parseQuantity(requests ?? valueAt(container, ['resources', 'limits', resource]));
            if (amount !== undefined) this.take(resource, amount * replicas, [...path, requests !== undefined ? 'requests' : 'limits', resource], report);
          });
        }
      }
    }
    if (kind === 'PersistentVolumeClaim') {
      const path: FieldPath = ['spec', 'resources', 'requests', 'storage'];
      const amount = parseQuantity(valueAt(object, path));
      if (amount !== undefined) this.take('storage', amount, path, report);
    }
    if (kind === 'StatefulSet') {
      list(valueAt(object, ['spec', 'volumeClaimTemplates'])).forEach((template, i) => {
        const path: FieldPath = ['spec', 'volumeClaimTemplates', i, 'spec', 'resources', 'requests', 'storage'];
        const amount = parseQuantity(valueAt(template, path.slice(3)));
        if (amount !== undefined) this.take('storage', amount * replicas, path, report);
      });
    }
  }

  private replicas(object: Record<string, unknown>, kind: string): number {
    const path: FieldPath = kind === 'Job' ? ['spec', 'parallelism'] : kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'parallelism'] : ['spec', 'replicas'];
    const value = kind === 'Pod' || kind === 'DaemonSet' ? 1 : valueAt(object, path);
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 1;
  }

  private take(resource: Resource, amount: number, path: FieldPath, report: Report): void {
    const before = this.used[resource];
    this.used[resource] += amount;
    if (before <= this.max[resource] && this.used[resource] > this.max[resource]) {
      report(path, `this takes the ${resource} requested by the submission past the attempt's quota (${this.quota[resource]}); request less`);
    }
  }
}
