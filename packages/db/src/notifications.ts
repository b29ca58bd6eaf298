import { EventEmitter } from 'node:events';
import { Client } from 'pg';

/**
 * Emits a submission id whenever its state changes (the `kadai_submission` NOTIFY from the
 * submissions trigger). One LISTEN connection serves every waiting client of a process; it
 * reconnects after a failure, and emits 'reconnected' so listeners re-read what they may have missed.
 */
export class SubmissionChanges extends EventEmitter {
  private client?: Client;
  private closed = false;

  constructor(private readonly databaseUrl: string) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (msg) => msg.payload && this.emit(msg.payload));
    client.on('error', () => this.restart(client));
    try {
      await client.connect();
      await client.query('LISTEN kadai_submission');
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
