import { LAB_KINDS, type LabKind } from '@kadai/catalog';
import { Queue, type ConnectionOptions } from 'bullmq';
import { gradingJob, jobId, queueName, type GradingJob } from './job';

export interface RetryPolicy {
  /** Tries per job for infrastructure failures (the first included). */
  attempts: number;
  backoffMs: number;
}

/** The producer side: one BullMQ queue per lab kind. */
export class GradingQueues {
  private readonly queues: Map<LabKind, Queue>;

  /** `prefix` namespaces kadai's keys in Redis, so several deployments (or test runs) can share one. */
  constructor(connection: ConnectionOptions, private readonly retry: RetryPolicy, prefix: string) {
    this.queues = new Map(LAB_KINDS.map((kind) => [kind, new Queue(queueName(kind), { connection, prefix })]));
  }

  private queue(kind: LabKind): Queue {
    return this.queues.get(kind)!;
  }

  async enqueue(kind: LabKind, job: GradingJob): Promise<void> {
    const data = gradingJob.parse(job);
    await this.queue(kind).add('grade', data, {
      jobId: jobId(data),
      attempts: this.retry.attempts,
      backoff: { type: 'exponential', delay: this.retry.backoffMs },
      removeOnComplete: { age: 3600, count: 10000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  /**
   * Makes sure a submission that Postgres says is waiting has a live job. A job that already ended
   * (its result lost, e.g. with a killed worker) is removed and added again; a waiting or active
   * one is left alone.
   */
  async ensureEnqueued(kind: LabKind, job: GradingJob): Promise<'added' | 'present'> {
    const existing = await this.queue(kind).getJob(jobId(job));
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'present';
      await existing.remove();
    }
    await this.enqueue(kind, job);
    return 'added';
  }

  /** Jobs per queue and state, for /metrics. */
  async depths(): Promise<Array<{ queue: string; state: string; count: number }>> {
    const rows: Array<{ queue: string; state: string; count: number }> = [];
    for (const [kind, queue] of this.queues) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      for (const [state, count] of Object.entries(counts)) rows.push({ queue: queueName(kind), state, count });
    }
    return rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
