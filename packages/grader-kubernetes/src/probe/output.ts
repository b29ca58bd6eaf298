import { z } from 'zod';

/**
 * What kadai asks of its probe (`kadai/probe`, infra/images/src/probe) and what it answers: the
 * command line of one exec, and its JSON lines parsed. Pure.
 */
export interface ProbeRequest {
  url: string;
  /** Host header (an Ingress host while the URL names the controller's address). */
  host?: string;
  headers?: Readonly<Record<string, string>>;
  method?: string;
  /** Per request; default 2 s. */
  timeoutMs?: number;
  /** Bytes of each body kept in its line; default 256. */
  bodyBytes?: number;
  /** Texts whose presence in each body is reported (version markers). */
  marks?: readonly string[];
}

export interface ProbeRunRequest extends ProbeRequest {
  /** Requests per second; 0 or absent: one after another. */
  rate?: number;
  /** Send for this long … */
  durationMs?: number;
  /** … or this many requests (the first limit reached ends it). */
  count?: number;
  /** End when the exec's stdin closes (for a probe whose length kadai does not know in advance). */
  stopOnEof?: boolean;
}

const line = z.object({
  seq: z.number().int(),
  start: z.string(),
  offsetMs: z.number(),
  latencyMs: z.number(),
  status: z.number().int(),
  error: z.string().optional(),
  bytes: z.number().int(),
  sha256: z.string().optional(),
  body: z.string(),
  server: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  marks: z.array(z.string()).optional(),
});
/** One request: `status` 0 when nothing answered (then `error` says why). */
export type ProbeLine = z.infer<typeof line>;

const summary = z.object({
  sent: z.number().int(),
  ok: z.number().int(),
  failed: z.number().int(),
  errors: z.number().int(),
  statuses: z.record(z.string(), z.number()),
  distinctBodies: z.number().int(),
  servers: z.record(z.string(), z.number()),
  marks: z.record(z.string(), z.number()),
  latencyMs: z.object({ p50: z.number(), p95: z.number(), max: z.number() }),
  durationMs: z.number(),
  rate: z.number(),
});
export type ProbeSummary = z.infer<typeof summary>;

/** An answered request below 400 with no error: what "the request succeeded" means everywhere. */
export const succeeded = (l: ProbeLine): boolean => l.status > 0 && l.status < 400 && l.error === undefined;

const goDuration = (ms: number): string => `${Math.max(1, Math.round(ms))}ms`;

function requestFlags(r: ProbeRequest): string[] {
  const flags = ['-url', r.url];
  if (r.host !== undefined) flags.push('-host', r.host);
  for (const [name, value] of Object.entries(r.headers ?? {})) flags.push('-H', `${name}: ${value}`);
  if (r.method !== undefined) flags.push('-method', r.method);
  if (r.timeoutMs !== undefined) flags.push('-timeout', goDuration(r.timeoutMs));
  if (r.bodyBytes !== undefined) flags.push('-body-bytes', String(r.bodyBytes));
  for (const mark of r.marks ?? []) flags.push('-mark', mark);
  return flags;
}

/** The argv of one exec in the probe container (no shell: each flag and value its own word). */
export function probeCommand(request: ProbeRequest): string[];
export function probeCommand(request: ProbeRunRequest, mode: 'run'): string[];
export function probeCommand(request: ProbeRunRequest, mode: 'get' | 'run' = 'get'): string[] {
  if (mode === 'get') return ['/probe', 'get', ...requestFlags(request)];
  if (request.durationMs === undefined && request.count === undefined) throw new Error('a probe run needs a duration or a count');
  const flags = requestFlags(request);
  if (request.rate !== undefined) flags.push('-rate', String(request.rate));
  if (request.durationMs !== undefined) flags.push('-duration', goDuration(request.durationMs));
  if (request.count !== undefined) flags.push('-count', String(request.count));
  if (request.stopOnEof) flags.push('-stop-on-eof');
  return ['/probe', 'run', ...flags];
}

/** One line of the probe's output: a request, the summary, or something else (kept for the evidence). */
export type ParsedLine = { request: ProbeLine } | { summary: ProbeSummary } | { other: string };

export function parseProbeLine(text: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { other: text };
  }
  const asSummary = z.object({ summary }).safeParse(json);
  if (asSummary.success) return { summary: asSummary.data.summary };
  const asLine = line.safeParse(json);
  return asLine.success ? { request: asLine.data } : { other: text };
}

/** Splits a byte stream into lines as they arrive; `flush` hands over an unterminated last line. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') this.onLine(part);
  }

  flush(): void {
    if (this.rest.trim() !== '') this.onLine(this.rest);
    this.rest = '';
  }
}
