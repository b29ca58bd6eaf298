import type { Request, Response } from 'express';
import type { ApiDeps } from './deps';
import type { SubmissionView } from './schemas';

type Snapshot = () => Promise<{ view: SubmissionView | undefined; done: boolean }>;

/**
 * Server-Sent Events for one submission: the current state at once, then every change (pushed by
 * Postgres NOTIFY), ending after a terminal state. A keep-alive comment every 15 s holds proxies open.
 */
export async function streamSubmissionEvents(deps: ApiDeps, req: Request, res: Response, id: string, snapshot: Snapshot): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let lastState = '';
  let finished = false;
  let pending = Promise.resolve();

  const finish = () => {
    if (finished) return;
    finished = true;
    deps.changes.off(id, onChange);
    deps.changes.off('reconnected', onChange);
    clearInterval(keepAlive);
    res.end();
  };
  const send = async () => {
    if (finished) return;
    const { view, done } = await snapshot();
    if (!view) return finish();
    const key = `${view.state}/${view.gradingRun}`;
    if (key !== lastState) {
      lastState = key;
      res.write(`event: ${view.state}\ndata: ${JSON.stringify(view)}\n\n`);
    }
    if (done) finish();
  };
  // Changes are serialized so events go out in order.
  const onChange = () => {
    pending = pending.then(send).catch((err) => {
      deps.log.warn({ err, submissionId: id }, 'event stream failed');
      finish();
    });
  };
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  deps.changes.on(id, onChange);
  deps.changes.on('reconnected', onChange);
  req.on('close', finish);
  onChange();
  await pending;
}
