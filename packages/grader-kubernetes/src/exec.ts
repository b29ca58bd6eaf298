import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { InfrastructureError } from '@kadai/errors';
import { Writable } from 'node:stream';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The command's exit code (0 on success); undefined when it could not be started. */
  exitCode: number | undefined;
  /** Why the command could not run (no such container, executable not found), in the API server's words. */
  failure?: string;
}

const OUTPUT_LIMIT_BYTES = 64 * 1024;

/** Collects what a stream writes, up to a limit (a command printing without end cannot fill the worker's memory). */
class Capped extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (this.size < OUTPUT_LIMIT_BYTES) this.chunks.push(chunk.subarray(0, OUTPUT_LIMIT_BYTES - this.size));
    this.size += chunk.length;
    done();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.size > OUTPUT_LIMIT_BYTES ? `\n… [${this.size - OUTPUT_LIMIT_BYTES} bytes cut]` : '');
  }
}

/**
 * Runs a command in a container through the API server's exec endpoint, as whoever `kc` is — the
 * attempt's ServiceAccount for a lab's steps (`AttemptNamespace.attemptConfig`), so RBAC lets it
 * into the attempt's own Pods only; argv, no shell unless the command is one. Ends when the command
 * does or the signal aborts.
 */
export async function execIn(kc: KubeConfig, namespace: string, pod: string, container: string | undefined, command: readonly string[], signal: AbortSignal): Promise<ExecResult> {
  const stdout = new Capped();
  const stderr = new Capped();
  let status: V1Status | undefined;
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await new Exec(kc).exec(namespace, pod, container ?? '', [...command], stdout, stderr, null, false, (s) => {
      status = s;
    });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    // the API server refuses the upgrade for a missing Pod or container: the submission's state, not kadai's
    if (/\b(400|404)\b/.test(message)) return { stdout: '', stderr: '', exitCode: undefined, failure: message };
    // a Pod the identity may not exec into (another namespace's): the lab's or kadai's mistake, waiting does not help
    if (/\b403\b/.test(message)) throw new InfrastructureError(`exec in ${namespace}/${pod} was forbidden to ${kc.getCurrentUser()?.impersonateUser ?? kc.getCurrentUser()?.name ?? 'kadai'}: ${message}`, false, { cause: err });
    throw new InfrastructureError(`exec in ${pod}: ${message}`, true, { cause: err });
  }
  await new Promise<void>((resolve) => {
    const stop = () => socket.close();
    signal.addEventListener('abort', stop, { once: true });
    socket.on('close', () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
  });
  if (signal.aborted) throw signal.reason;
  return { stdout: stdout.text, stderr: stderr.text, ...exitOf(status) };
}

function exitOf(status: V1Status | undefined): Pick<ExecResult, 'exitCode' | 'failure'> {
  if (!status || status.status === 'Success') return { exitCode: 0 };
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (code !== undefined) return { exitCode: Number(code) };
  return { exitCode: undefined, failure: status.message ?? 'the command could not be run' };
}
