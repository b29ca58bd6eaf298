import type { Request, Response } from 'express';
import type { Socket } from 'node:net';

/** How long, and for how many more bytes, a refused request's body is still drained before closing. */
const LINGER_MS = 1_000;
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * Answers a request refused before its body was read (401, 413, 415, 429, a bad archive…) with
 * `Connection: close`, so the client stops sending and the server reads no more than a bounded rest.
 *
 * Node destroys a `Connection: close` socket as soon as the answer is written. With the client's
 * body still arriving, the kernel then sends RST, which can discard the answer from the client's
 * receive buffer before the client reads it — it would see "connection reset" instead of the 413.
 * So, like nginx's lingering close: send FIN after the answer, discard what still arrives for at
 * most LINGER_MS or LINGER_BYTES, then close.
 */
export function closeAfterAnswer(req: Request, res: Response): void {
  if (req.complete) return;
  res.set('Connection', 'close');
  const socket: Socket = req.socket;
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    const until = this.bytesRead + LINGER_BYTES;
    const close = () => this.destroy();
    const timer = setTimeout(close, LINGER_MS).unref();
    this.on('data', () => this.bytesRead > until && close());
    this.once('close', () => clearTimeout(timer));
  };
}
