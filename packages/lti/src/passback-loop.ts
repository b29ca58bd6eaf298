import type { Db } from '@kadai/db';
import type { Logger } from '@kadai/observability';
import type { LtiKeys } from './keys';
import { pendingScores, postScore } from './passback';

/**
 * Sends grades to the platforms: every `intervalMs` the grade links whose counted grade differs
 * from what the platform was last given are posted. A post that fails (platform down, token
 * refused) is tried again on the next round; the database, not memory, says what is pending, so
 * a restart loses nothing. Several api processes may post the same score: a score carries its
 * timestamp, and the platform keeps the latest.
 */
export class LtiPassback {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly keys: LtiKeys,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(async () => void (await this.round()));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round; returns how many scores the platforms accepted. */
  async round(): Promise<number> {
    let posted = 0;
    try {
      for (const pending of await pendingScores(this.db)) {
        try {
          await postScore(this.db, this.keys, pending);
          posted++;
          this.log.info({ submissionId: pending.submissionId, labId: pending.labId, score: pending.score }, 'LTI score posted');
        } catch (err) {
          this.log.warn({ err, submissionId: pending.submissionId, lineitem: pending.lineitem }, 'LTI score not posted; retried next round');
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'LTI passback round failed');
    }
    return posted;
  }
}
