import type Redis from 'ioredis';

/** A worker's word on whether its sandbox limits are in place (kept in Redis while it lives). */
export interface WorkerSafety {
  workerId: string;
  ok: boolean;
  problems: string[];
  checkedAt: string;
}

const key = (prefix: string, workerId: string) => `${prefix}:worker-safety:${workerId}`;

/**
 * Workers publish their sandbox safety here (expiring, so a dead worker's word goes away); the
 * API's /readyz reads it, so an unsafe sandbox is visible where readiness is checked.
 */
export async function publishWorkerSafety(redis: Redis, prefix: string, safety: WorkerSafety, ttlMs: number): Promise<void> {
  await redis.set(key(prefix, safety.workerId), JSON.stringify(safety), 'PX', ttlMs);
}

export async function withdrawWorkerSafety(redis: Redis, prefix: string, workerId: string): Promise<void> {
  await redis.del(key(prefix, workerId));
}

/** The live workers that report an unsafe sandbox. */
export async function unsafeWorkers(redis: Redis, prefix: string): Promise<WorkerSafety[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: key(prefix, '*'), count: 100 }) as AsyncIterable<string[]>) keys.push(...batch);
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    if (!v) return [];
    const safety = JSON.parse(v) as WorkerSafety;
    return safety.ok ? [] : [safety];
  });
}
