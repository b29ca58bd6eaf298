import { commonCheckFields, fail, lastLines, skipped, type CheckOutcome, type CheckStep } from '@kadai/checks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DISK_QUOTA_MESSAGE } from '../disk';
import type { DockerfileFacts } from '../dockerfile';
import type { Project } from '../model';
import type { Sandbox, ServiceState } from '../sandbox';

/** What a docker check sees: the attempt's sandbox and project, plus its own budget (signal) from the run loop. */
export interface DockerCheckContext extends CheckStep {
  sandbox: Sandbox;
  project: Project;
  /** Facts read from each built service's Dockerfile, by service name. */
  dockerfiles: Map<string, DockerfileFacts>;
}

/** Fields every docker check has: the common ones and the service it is about (default: the first). */
export const dockerCheckFields = {
  ...commonCheckFields,
  service: z.string().min(1).optional(),
};

export function serviceName(ctx: DockerCheckContext, name: string | undefined): string {
  return name ?? ctx.project.services[0]?.name ?? '';
}

/** What a failed check shows about a service that could not run: its build log tail or start error, its state and logs. */
export async function serviceDiagnosis(ctx: DockerCheckContext, name: string): Promise<string> {
  const state = ctx.sandbox.services.get(name);
  if (!state) return `no service "${name}" in the submission (services: ${ctx.project.services.map((s) => s.name).join(', ') || 'none'})`;
  const parts: string[] = [];
  if (state.build && !state.build.ok) parts.push(`build failed: ${state.build.error ?? ''}\n--- build log (last lines) ---\n${lastLines(state.build.log, 25)}`);
  if (state.startError) parts.push(`could not start: ${state.startError}`);
  const info = state.containerId ? await ctx.sandbox.inspect(name) : undefined;
  if (info) {
    const s = info.State;
    parts.push(`container state: ${s.Status}${s.OOMKilled ? ' (killed: out of memory)' : ''}, exit code ${s.ExitCode}, restarts ${info.RestartCount}`);
    parts.push(await containerLog(ctx, name));
  }
  return parts.filter(Boolean).join('\n');
}

/** The last lines a service's container logged, after a note when they show it hit its disk limit. */
export async function containerLog(ctx: DockerCheckContext, name: string): Promise<string> {
  const logs = await ctx.sandbox.logs(name, 30).catch(() => '');
  const parts: string[] = [];
  if (DISK_QUOTA_MESSAGE.test(logs)) parts.push(`the container reached its disk limit (${Math.round(ctx.sandbox.options.diskBytes / 2 ** 20)} MiB written on top of its image, or into a named volume)`);
  if (logs.trim()) parts.push(`--- container log (last lines) ---\n${lastLines(logs, 30)}`);
  return parts.join('\n');
}

/**
 * The service a check is about, or the outcome to report when it cannot be looked at: `skipped` when
 * its image did not build (the build check reports why), `fail` when it does not exist or did not start.
 */
export async function runningService(ctx: DockerCheckContext, name: string | undefined): Promise<ServiceState | CheckOutcome> {
  const service = serviceName(ctx, name);
  const state = ctx.sandbox.services.get(service);
  if (!state) {
    return fail(`サービス「${service}」がありません。`, `There is no service "${service}".`, await serviceDiagnosis(ctx, service));
  }
  if (state.build && !state.build.ok) {
    return skipped(`「${service}」のイメージがビルドできなかったため確認できません。`, `Not checked: the image of "${service}" did not build.`, await serviceDiagnosis(ctx, service));
  }
  if (!state.containerId || state.startError) {
    return fail(`「${service}」のコンテナを起動できませんでした。`, `The container of "${service}" could not be started.`, await serviceDiagnosis(ctx, service));
  }
  return state;
}

export const isOutcome = (x: ServiceState | CheckOutcome): x is CheckOutcome => 'status' in x && 'message' in x;

/** Containers that exit at once look "running" for a moment: checks of state wait until a service has run this long. */
export const SETTLE_MS = 2000;

export async function settled(ctx: DockerCheckContext, state: ServiceState): Promise<void> {
  const wait = (state.startedAt ?? 0) + SETTLE_MS - Date.now();
  if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
}
