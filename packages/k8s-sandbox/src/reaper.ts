import { CoreV1Api, KubeConfig, V1Namespace } from '@kubernetes/client-node';
import { isNotFound, messageOf } from './errors';
import { LEASE_ANNOTATION, MANAGED_BY, NAMESPACE_PREFIX, RUN_LABEL } from './labels';

export interface ReapResult {
  namespaces: string[];
  volumes: string[];
  failures: string[];
}

/** A namespace whose lease has run out (or that has no readable lease) belongs to a finished or dead attempt. */
function expired(ns: V1Namespace, now: Date): boolean {
  const until = Date.parse(ns.metadata?.annotations?.[LEASE_ANNOTATION] ?? '');
  return Number.isNaN(until) || until <= now.getTime();
}

/**
 * Removes what finished or abandoned attempts left: their namespaces once the lease has run out
 * (a worker killed mid-grading never renews it), and volumes whose claim lived in an attempt
 * namespace that is gone or going. Safe to run from several workers at once (a 404 is success).
 */
export async function reapAttempts(kc: KubeConfig, now = new Date()): Promise<ReapResult> {
  const core = kc.makeApiClient(CoreV1Api);
  const result: ReapResult = { namespaces: [], volumes: [], failures: [] };
  const attempts = await core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value},${RUN_LABEL}` });
  const live = new Set<string>();
  for (const ns of attempts.items) {
    const name = ns.metadata?.name ?? '';
    if (ns.status?.phase === 'Terminating') continue;
    if (!expired(ns, now)) {
      live.add(name);
      continue;
    }
    try {
      await core.deleteNamespace({ name, propagationPolicy: 'Background' });
      result.namespaces.push(name);
    } catch (err) {
      if (!isNotFound(err)) result.failures.push(`namespace ${name}: ${messageOf(err)}`);
    }
  }
  const volumes = await core.listPersistentVolume();
  for (const pv of volumes.items) {
    const claimNamespace = pv.spec?.claimRef?.namespace ?? '';
    const name = pv.metadata?.name ?? '';
    if (!claimNamespace.startsWith(NAMESPACE_PREFIX) || live.has(claimNamespace)) continue;
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') continue;
    try {
      await core.deletePersistentVolume({ name });
      result.volumes.push(name);
    } catch (err) {
      if (!isNotFound(err)) result.failures.push(`volume ${name}: ${messageOf(err)}`);
    }
  }
  return result;
}
