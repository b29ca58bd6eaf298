import type { Localized } from '@kadai/catalog';
import type { Logger } from '@kadai/observability';
import { z } from 'zod';
import type { DockerfileFacts } from '../dockerfile';
import type { Project } from '../model';
import type { Sandbox, ServiceState } from '../sandbox';

export interface CheckContext {
  sandbox: Sandbox;
  project: Project;
  /** Facts read from each built service's Dockerfile, by service name. */
  dockerfiles: Map<string, DockerfileFacts>;
  signal: AbortSignal;
  log: Logger;
}

export interface Outcome {
  status: 'pass' | 'fail' | 'skipped';
  message: Localized;
  evidence?: string;
}

/** One check type: its lab.yaml fields (validated when the catalog loads) and how it is evaluated. */
export interface CheckType<T> {
  fields: z.ZodType<T>;
  run(spec: T, ctx: CheckContext): Promise<Outcome>;
}

/** Fields every check has (the catalog validates them); type-specific schemas add theirs and stay strict. */
export const common = {
  id: z.string(),
  type: z.string(),
  title: z.unknown(),
  points: z.number(),
  visibility: z.unknown().optional(),
  service: z.string().min(1).optional(),
};

export const text = (ja: string, en: string): Localized => ({ ja, en });
export const pass = (ja: string, en: string, evidence?: string): Outcome => ({ status: 'pass', message: text(ja, en), ...(evidence ? { evidence } : {}) });
export const fail = (ja: string, en: string, evidence?: string): Outcome => ({ status: 'fail', message: text(ja, en), ...(evidence ? { evidence } : {}) });

export function serviceName(ctx: CheckContext, name: string | undefined): string {
  return name ?? ctx.project.services[0]?.name ?? '';
}

export function lastLines(text: string, n = 30): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

/** What a failed check shows about a service that could not run: its build log tail or start error, its state and logs. */
export async function serviceDiagnosis(ctx: CheckContext, name: string): Promise<string> {
  const state = ctx.sandbox.services.get(name);
  if (!state) return `no service "${name}" in the submission (services: ${ctx.project.services.map((s) => s.name).join(', ') || 'none'})`;
  const parts: string[] = [];
  if (state.build && !state.build.ok) parts.push(`build failed: ${state.build.error ?? ''}\n--- build log (last lines) ---\n${lastLines(state.build.log, 25)}`);
  if (state.startError) parts.push(`could not start: ${state.startError}`);
  const info = state.containerId ? await ctx.sandbox.inspect(name).catch(() => undefined) : undefined;
  if (info) {
    const s = info.State;
    parts.push(`container state: ${s.Status}${s.OOMKilled ? ' (killed: out of memory)' : ''}, exit code ${s.ExitCode}, restarts ${info.RestartCount}`);
    const logs = await ctx.sandbox.logs(name, 30).catch(() => '');
    if (logs.trim()) parts.push(`--- container log (last lines) ---\n${lastLines(logs, 30)}`);
  }
  return parts.join('\n');
}

/**
 * The service a check is about, or the outcome to report when it cannot be looked at: `skipped` when
 * its image did not build (the build check reports why), `fail` when it does not exist or did not start.
 */
export async function runningService(ctx: CheckContext, name: string | undefined): Promise<ServiceState | Outcome> {
  const service = serviceName(ctx, name);
  const state = ctx.sandbox.services.get(service);
  if (!state) {
    return fail(`サービス「${service}」がありません。`, `There is no service "${service}".`, await serviceDiagnosis(ctx, service));
  }
  if (state.build && !state.build.ok) {
    return { status: 'skipped', message: text(`「${service}」のイメージがビルドできなかったため確認できません。`, `Not checked: the image of "${service}" did not build.`), evidence: await serviceDiagnosis(ctx, service) };
  }
  if (!state.containerId || state.startError) {
    return fail(`「${service}」のコンテナを起動できませんでした。`, `The container of "${service}" could not be started.`, await serviceDiagnosis(ctx, service));
  }
  return state;
}

export const isOutcome = (x: ServiceState | Outcome): x is Outcome => 'status' in x && 'message' in x;

/** A row of expected vs actual for evidence. */
export function row(field: string, ok: boolean, expected: unknown, actual: unknown): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return `${ok ? '✓' : '✗'} ${field}: expected ${show(expected)}, actual ${show(actual)}`;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Containers that exit at once look "running" for a moment: checks of state wait until a service has run this long. */
export const SETTLE_MS = 2000;

export async function settled(ctx: CheckContext, state: ServiceState): Promise<void> {
  const wait = (state.startedAt ?? 0) + SETTLE_MS - Date.now();
  if (wait > 0) await sleep(wait, ctx.signal);
}
