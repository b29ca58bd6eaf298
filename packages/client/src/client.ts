import type { components, paths } from './api-types';
import { readEvents } from './sse';

/** The API's own types, generated from its OpenAPI document (api-types.ts). */
type Schemas = components['schemas'];
type JsonAnswer<P extends keyof paths, Code extends number> = paths[P]['get'] extends { responses: Record<Code, { content: { 'application/json': infer T } }> } ? T : never;

/** An RFC 9457 problem; `type` is absent when the answer was not a problem document. */
export type Problem = Omit<Schemas['Problem'], 'type'> & { type?: string };
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    const details = problem.errors?.map((e) => `\n  ${e.text}`).join('') ?? '';
    super(`${problem.status} ${problem.title}: ${problem.detail}${details}`);
  }
}

export type SubmissionView = Schemas['Submission'];
export type CheckRow = SubmissionView['checks'][number];
export type Accepted = Schemas['AcceptedSubmission'];
export type LabCatalog = JsonAnswer<'/v1/labs', 200>;
export type LabDetail = JsonAnswer<'/v1/labs/{id}', 200>;
export type LabsStatus = JsonAnswer<'/v1/labs/reload', 200>;

const TERMINAL = new Set(['graded', 'error', 'rejected']);

/** A small client of the kadai HTTP API, used by the CLI, the lab self-tests and the benchmarks. */
export class KadaiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : response.status === 204 ? null : {};
    if (!response.ok) throw new ApiError(body.status ? body : { status: response.status, title: response.statusText, detail: text });
    return body as T;
  }

  /**
   * Any API call (administration, webhooks): a JSON body, or a string sent as text/csv (a roster).
   * Resolves with the answer's JSON (null for 204); a problem answer throws ApiError.
   */
  call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    if (body === undefined) return this.request(path, { method, headers });
    const csv = typeof body === 'string';
    return this.request(path, { method, body: csv ? body : JSON.stringify(body), headers: { 'content-type': csv ? 'text/csv' : 'application/json', ...headers } });
  }

  submitArchive(lab: string, archive: Buffer, idempotencyKey?: string): Promise<Accepted> {
    const form = new FormData();
    form.set('lab', lab);
    form.set('archive', new Blob([archive]), 'submission.tar.gz');
    return this.request('/v1/submissions', { method: 'POST', body: form, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
  }

  submitJson(body: { lab: string; files?: Record<string, string>; answers?: Record<string, string[]> }, idempotencyKey?: string): Promise<Accepted> {
    return this.request('/v1/submissions', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    });
  }

  submission(id: string): Promise<SubmissionView> {
    return this.request(`/v1/submissions/${id}`);
  }

  labs(): Promise<LabCatalog> {
    return this.request('/v1/labs');
  }

  lab(id: string): Promise<LabDetail> {
    return this.request(`/v1/labs/${id}`);
  }

  /** What a reload of the labs folder would do to each lab (instructors, admins). */
  labsStatus(): Promise<LabsStatus> {
    return this.request('/v1/labs/reload');
  }

  /**
   * Follows the submission's event stream until it reaches a terminal state; returns that view.
   * `signal` lets a caller end the wait earlier than `timeoutMs` on its own terms.
   */
  async waitForResult(id: string, timeoutMs: number, onState?: (view: SubmissionView) => void, signal?: AbortSignal): Promise<SubmissionView> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await fetch(new URL(`/v1/submissions/${id}/events`, this.baseUrl), {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    if (!response.ok || !response.body) throw new ApiError((await response.json()) as Problem);
    let last: SubmissionView | undefined;
    for await (const event of readEvents(response.body)) {
      last = JSON.parse(event.data) as SubmissionView;
      onState?.(last);
      if (TERMINAL.has(last.state)) return last;
    }
    // The stream ended early (e.g. a proxy cut it): ask once more.
    const view = last && TERMINAL.has(last.state) ? last : await this.submission(id);
    if (!TERMINAL.has(view.state)) throw new Error(`submission ${id} is still ${view.state}`);
    return view;
  }
}
