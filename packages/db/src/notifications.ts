import { EventEmitter } from 'node:events';
import { Client } from 'pg';

/** The event every notification is also emitted as, with its payload. */
export const ANY = Symbol('any notification');

/**
 * Emits each payload NOTIFYed on one channel as an event of that name. One LISTEN connection serves
 * every listener of a process (each payload is also emitted as ANY); it reconnects after a failure, and emits 'reconnected' so listeners
 * re-read what they may have missed.
 */
export class Notifications extends EventEmitter {
  private client?: Client;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (msg) => {
      if (!msg.payload) return;
      this.emit(msg.payload);
      this.emit(ANY, msg.payload);
    });
    client.on('error', () => this.restart(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.client = client;
  }

  private restart(failed: Client): void {
    if (this.closed || this.client !== failed) return;
    this.client = undefined;
    failed.end().catch(() => undefined);
    const retry = () =>
      this.start().then(
        () => this.emit('reconnected'),
        () => !this.closed && setTimeout(retry, 1000),
      );
    setTimeout(retry, 200);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}

/** A submission's id whenever its state changes (the `kadai_submission` NOTIFY of the submissions trigger). */
export class SubmissionChanges extends Notifications {
  constructor(databaseUrl: string) {
    super(databaseUrl, 'kadai_submission');
  }
}

/** A webhook message's id whenever one becomes due (the `kadai_webhook` NOTIFY of the outbox trigger). */
export class WebhookWakeups extends Notifications {
  constructor(databaseUrl: string) {
    super(databaseUrl, 'kadai_webhook');
  }
}
