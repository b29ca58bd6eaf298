import { InfrastructureError, RejectedInputError, type InputIssue } from '@kadai/errors';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import type { ComposeResult, DockerfileResult, ParseIssue } from './types';

export interface ReferenceParsersOptions {
  /** The Go helper (binaryPath() / ensureBuilt()). */
  binary: string;
  /** One request's limit; past it the helper is restarted and the request fails as retryable infrastructure. */
  timeoutMs: number;
  /** Most bytes one request may carry (the submission's text files). */
  maxRequestBytes: number;
}

export const DEFAULT_PARSER_LIMITS = { timeoutMs: 10_000, maxRequestBytes: 16 << 20 } as const;

/** The submission cannot be read: carries the reference implementation's field path so callers can point at it. */
export class ParseError extends RejectedInputError {
  constructor(
    message: string,
    issue: InputIssue,
    readonly path: Array<string | number> = [],
  ) {
    super(message, [issue]);
    this.name = 'ParseError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  file: string;
  /** The helper process the request went to: only its death fails the request. */
  child: ChildProcessWithoutNullStreams;
}

interface Response {
  id: number;
  result?: unknown;
  error?: ParseIssue;
  internal?: string;
  ready?: boolean;
  landlock?: number;
}

/**
 * One long-lived Go helper per Node process (compose-go and BuildKit's parser), requests
 * multiplexed by id over its stdin/stdout. It starts on first use, and again after it dies or a
 * request times out; it never keeps the Node process alive on its own.
 */
export class ReferenceParsers {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Landlock ABI the helper confined itself with (0: the kernel has none), once it said hello. */
  landlock: number | undefined;

  constructor(private readonly options: ReferenceParsersOptions) {}

  /** The helper's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Normalizes the Compose file `file` of the submission (its text files travel with the request). */
  compose(file: string, files: Record<string, string>): Promise<ComposeResult> {
    return this.request({ op: 'compose', file, files }, file) as Promise<ComposeResult>;
  }

  /** Parses a Dockerfile as BuildKit does, with the build args the build will get. */
  dockerfile(file: string, text: string, buildArgs: Record<string, string> = {}): Promise<DockerfileResult> {
    return this.request({ op: 'dockerfile', text, buildArgs }, file) as Promise<DockerfileResult>;
  }

  /** Stops the helper (pending requests fail as retryable infrastructure errors). */
  close(): void {
    this.fail(new InfrastructureError('the reference parsers were closed', true), undefined);
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    // No environment and an empty working dir: nothing of the host's for compose-go to find.
    const child = spawn(this.options.binary, [], { env: {}, cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line, child));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.child === child) this.child = undefined;
      const missing = error.code === 'ENOENT';
      this.fail(new InfrastructureError(missing ? `the reference parsers are not built (${this.options.binary}): run infra/reference-parsers/build` : `the reference parsers failed: ${error.message}`, !missing, { cause: error }), child);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.fail(new InfrastructureError(`the reference parsers stopped (${signal ?? `exit ${code}`}): ${stderr.trim()}`, true), child);
    });
    child.stdin.on('error', () => undefined); // a dead child: its exit event fails the pending requests
    // Idle, the helper must not keep the process alive; a pending request's timer does meanwhile.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr] as unknown as Array<{ unref?: () => void }>) stream.unref?.();
    return child;
  }

  private request(body: Record<string, unknown>, file: string): Promise<unknown> {
    const id = this.nextId++;
    const line = JSON.stringify({ id, ...body });
    if (Buffer.byteLength(line) > this.options.maxRequestBytes) {
      return Promise.reject(new RejectedInputError(`${file}: the files to read are too large`, [{ file, message: `at most ${this.options.maxRequestBytes} bytes of text are read` }], 413));
    }
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new InfrastructureError(`the reference parsers did not answer within ${this.options.timeoutMs} ms`, true));
        // It may be stuck on this input: a fresh helper serves the next request.
        if (this.child === child) {
          this.child = undefined;
          child.kill('SIGKILL');
        }
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, file, child });
      child.stdin.write(`${line}\n`);
    });
  }

  private answer(line: string, child: ChildProcessWithoutNullStreams): void {
    let response: Response;
    try {
      response = JSON.parse(line) as Response;
    } catch {
      return this.fail(new InfrastructureError(`the reference parsers answered something unreadable: ${line.slice(0, 200)}`, true), child);
    }
    if (response.ready) {
      this.landlock = response.landlock ?? 0;
      return;
    }
    const pending = this.pending.get(response.id);
    if (!pending) return; // timed out meanwhile
    this.pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.internal !== undefined) return pending.reject(new InfrastructureError(`the reference parsers failed: ${response.internal}`, false));
    if (response.error) {
      const { message, path = [], line: at, column } = response.error;
      const issue: InputIssue = { file: pending.file, ...(at ? { line: at } : {}), ...(column ? { column } : {}), ...(path.length > 0 ? { field: path.join('.') } : {}), message };
      return pending.reject(new ParseError(`${pending.file} cannot be read: ${message}`, issue, path));
    }
    pending.resolve(response.result);
  }

  /** Fails the pending requests of one helper process (all of them when `child` is undefined). */
  private fail(error: Error, child: ChildProcessWithoutNullStreams | undefined): void {
    for (const [id, pending] of this.pending) {
      if (child && pending.child !== child) continue;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}

const shared = new Map<string, ReferenceParsers>();

/** The process's one helper for this binary (the api and the worker each start one, lazily). */
export function sharedReferenceParsers(binary: string, limits: Partial<Omit<ReferenceParsersOptions, 'binary'>> = {}): ReferenceParsers {
  let parsers = shared.get(binary);
  if (!parsers) {
    parsers = new ReferenceParsers({ ...DEFAULT_PARSER_LIMITS, ...limits, binary });
    shared.set(binary, parsers);
  }
  return parsers;
}
