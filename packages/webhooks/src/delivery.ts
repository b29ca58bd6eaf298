import { ANY, recordDeliveryAttempt, takeDueDeliveries, WebhookWakeups, type Db, type DueDelivery } from '@kadai/db';
import type { Logger } from '@kadai/observability';
import { afterAttempt } from './retry-policy';
import { sendMessage } from './send';
import { signedHeaders } from './signing';
import type { UrlPolicy } from './url-policy';

export interface DeliveryOptions {
  db: Db;
  databaseUrl: string;
  log: Logger;
  policy: UrlPolicy;
  retryScheduleMs: number[];
  /** The whole POST, connection to answer. */
  timeoutMs: number;
  /** How many messages are sent at once. */
  concurrency: number;
  /** How often the outbox is read without a wake-up (a retry coming due, a lost NOTIFY). */
  pollMs: number;
}

/**
 * The delivery process: reads due messages from the outbox (woken at once by the outbox's NOTIFY,
 * and every `pollMs` for retries coming due), signs and sends each, and records every attempt. Any
 * number of them may run (in several workers): each message is held by one while it is sent.
 */
export function startWebhookDelivery(options: DeliveryOptions): () => Promise<void> {
  const wakeups = new WebhookWakeups(options.databaseUrl);
  let stopped = false;
  let draining: Promise<void> | undefined;
  let again = false;

  const sendOne = async (delivery: DueDelivery) => {
    const sentAt = new Date();
    const body = JSON.stringify(delivery.payload);
    const secrets = delivery.previousSecret ? [delivery.secret, delivery.previousSecret] : [delivery.secret];
    const result = await sendMessage(delivery.url, signedHeaders(delivery.messageId, sentAt, body, secrets), body, options.policy, options.timeoutMs);
    const outcome = afterAttempt(result, delivery.attempts + 1, options.retryScheduleMs, new Date());
    await recordDeliveryAttempt(options.db, delivery, outcome);
    const fields = { deliveryId: delivery.id, messageId: delivery.messageId, endpointId: delivery.endpointId, event: delivery.eventType, status: result.status, ms: result.durationMs };
    if (outcome.next.state === 'delivered') options.log.info(fields, 'webhook delivered');
    else options.log.warn({ ...fields, error: result.error, next: outcome.next, disabled: outcome.disableEndpoint }, 'webhook not delivered');
  };

  const drain = async () => {
    do {
      again = false;
      for (;;) {
        const due = await takeDueDeliveries(options.db, options.concurrency, options.timeoutMs + 5_000);
        if (due.length === 0) break;
        await Promise.all(due.map((d) => sendOne(d).catch((err: unknown) => options.log.error({ err, deliveryId: d.id }, 'recording a webhook attempt failed'))));
        if (stopped) return;
      }
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain()
      .catch((err: unknown) => options.log.warn({ err }, 'reading the webhook outbox failed; trying again at the next poll'))
      .finally(() => {
        draining = undefined;
      });
  };

  wakeups.on('reconnected', wake);
  const listening = wakeups.start().then(
    () => wakeups.on(ANY, wake),
    (err: unknown) => options.log.warn({ err }, 'cannot LISTEN for webhook wake-ups; polling only'),
  );
  const timer = setInterval(wake, options.pollMs);
  timer.unref();
  wake();

  return async () => {
    stopped = true;
    clearInterval(timer);
    await listening;
    await wakeups.close();
    await draining;
  };
}
