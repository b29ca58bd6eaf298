import type { Lab, LabKind } from '@kadai/catalog';
import type { Graders } from '@kadai/graders';
import type { Logger } from '@kadai/observability';
import { publishLabAvailability, withdrawLabAvailability } from '@kadai/queue';
import type Redis from 'ioredis';

/**
 * Publishes, for each grader that can tell, the published labs this worker cannot grade (a
 * capability its cluster lacks) — at start and every `intervalMs`, expiring after three intervals — so the api lists
 * them as unavailable and refuses their submissions instead of queueing work that would end in `error`.
 */
export function startAvailabilityReports(deps: { graders: Graders; labsInService: () => Promise<Lab[]>; redis: Redis; prefix: string; workerId: string; log: Logger; intervalMs: number }): () => Promise<void> {
  const reporting = (Object.entries(deps.graders) as [LabKind, NonNullable<Graders[LabKind]>][]).filter(([, g]) => g.unavailable);
  const logged = new Map<LabKind, string>();
  const report = async () => {
    for (const [kind, grader] of reporting) {
      try {
        // the versions PostgreSQL publishes, not the ones this worker holds: a lab fixed by a reload must not stay refused
        const labs = (await deps.labsInService()).filter((lab) => lab.definition.kind === kind);
        const unavailable = await grader.unavailable!(labs);
        await publishLabAvailability(deps.redis, deps.prefix, { workerId: deps.workerId, kind, unavailable }, deps.intervalMs * 3);
        // said once per change, not every interval
        const said = JSON.stringify(unavailable);
        if (logged.get(kind) !== said && Object.keys(unavailable).length) deps.log.warn({ kind, unavailable }, 'labs this worker cannot grade (listed as unavailable)');
        logged.set(kind, said);
      } catch (err) {
        // no word is published: the labs stay available and grading reports its own error
        deps.log.warn({ err, kind }, 'could not tell which labs this worker can grade');
      }
    }
  };
  void report();
  const timer = setInterval(() => void report(), deps.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await Promise.all(reporting.map(([kind]) => withdrawLabAvailability(deps.redis, deps.prefix, deps.workerId, kind).catch(() => undefined)));
  };
}
