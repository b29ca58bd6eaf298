import type Redis from 'ioredis';

/** A worker's word on which labs of a kind it cannot grade, and why. */
export interface LabAvailability {
  workerId: string;
  kind: string;
  /** lab id → why this worker cannot grade it (e.g. a capability its cluster lacks) */
  unavailable: Record<string, string>;
}

// One hash for every worker's report, so the api reads them in one HGETALL per submission (a SCAN
// would walk every queue key); each report carries its own expiry, so a dead worker's word goes away.
const hash = (prefix: string) => `${prefix}:lab-availability`;
const field = (workerId: string, kind: string) => `${kind}:${workerId}`;

export async function publishLabAvailability(redis: Redis, prefix: string, report: LabAvailability, ttlMs: number): Promise<void> {
  await redis.hset(hash(prefix), field(report.workerId, report.kind), JSON.stringify({ ...report, expiresAt: Date.now() + ttlMs }));
}

export async function withdrawLabAvailability(redis: Redis, prefix: string, workerId: string, kind: string): Promise<void> {
  await redis.hdel(hash(prefix), field(workerId, kind));
}

// An expired report is removed only as it was read: a worker may have published a fresh one under
// the same field in between, which must stay.
const DELETE_IF_UNCHANGED = `local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then removed = removed + redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return removed`;

/**
 * Labs no live worker of their kind can grade, each with a reason: a lab is unavailable when every
 * worker reporting on its kind says so (one worker able to grade it is enough; with no report yet,
 * nothing is known to be unavailable and submissions queue as before).
 */
export async function unavailableLabs(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const now = Date.now();
  const byKind = new Map<string, LabAvailability[]>();
  const expired: [string, string][] = [];
  // by worker id, so the reason shown is the same on every read
  for (const [name, value] of Object.entries(await redis.hgetall(hash(prefix))).sort(([a], [b]) => a.localeCompare(b))) {
    const report = JSON.parse(value) as LabAvailability & { expiresAt: number };
    if (report.expiresAt < now) expired.push([name, value]);
    else byKind.set(report.kind, [...(byKind.get(report.kind) ?? []), report]);
  }
  if (expired.length) await redis.eval(DELETE_IF_UNCHANGED, 1, hash(prefix), ...expired.flat());
  const unavailable = new Map<string, string>();
  for (const reports of byKind.values()) {
    for (const [lab, reason] of Object.entries(reports[0]!.unavailable)) {
      if (reports.every((r) => lab in r.unavailable)) unavailable.set(lab, reason);
    }
  }
  return unavailable;
}
