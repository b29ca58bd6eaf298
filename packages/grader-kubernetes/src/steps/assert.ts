import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, fail, formatMismatches, matchPartial, pass, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { allHold, jmespathQuery, queryMismatch, queryRow } from '../judge';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeObject, describeRef, resourceRef } from '../resources';
import { expectsCrashLoop, watchResource } from '../watch';
import { expectsRefusal } from '../refusals';
import { failedPoll } from './report';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    match: z.record(z.string(), z.unknown()).optional(),
    count: z.strictObject({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() }).optional(),
    jmespath: z.array(jmespathQuery).min(1).optional(),
    /** `live` (default): the objects in the cluster, polled; `submitted`: the objects as handed in (before kadai made them unique per attempt). */
    source: z.enum(['live', 'submitted']).default('live'),
    /** With `source: submitted`: the stage whose files to read (default: the last stage that has such objects). */
    stage: z.string().optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.stage !== undefined && spec.source !== 'submitted') ctx.addIssue({ code: 'custom', path: ['stage'], message: 'stage goes with source: submitted' });
    if (!spec.match && !spec.count && !spec.jmespath) ctx.addIssue({ code: 'custom', path: ['match'], message: 'say what to assert: match, count or jmespath' });
    if (spec.count && spec.resource.name) ctx.addIssue({ code: 'custom', path: ['count'], message: 'count goes with a selector, not a name' });
  });
type AssertSpec = z.infer<typeof fields>;

/** What a JMESPath query runs on: the object (by name), or the list of selected objects (by selector or kind). */
const queryInput = (spec: AssertSpec, objects: KubernetesObject[]): unknown => (spec.resource.name ? objects[0] : objects);

function holds(spec: AssertSpec, objects: KubernetesObject[]): boolean {
  const { min = 1, max = Infinity } = spec.count ?? {};
  if (objects.length < min || objects.length > max) return false;
  if (objects.length === 0) return spec.count !== undefined && !spec.match && !spec.jmespath;
  if (spec.match && !objects.every((o) => matchPartial(spec.match, o).ok)) return false;
  return allHold(spec.jmespath ?? [], queryInput(spec, objects));
}

/** Expected vs actual, for every part of the assertion (the diff of each object that does not match). */
function rows(spec: AssertSpec, objects: KubernetesObject[]): string {
  const out: string[] = [];
  const { min = 1, max = Infinity } = spec.count ?? {};
  const countOk = objects.length >= min && objects.length <= max;
  out.push(row(`number of ${describeRef(spec.resource)}`, countOk, max === Infinity ? `at least ${min}` : `${min}..${max}`, objects.length));
  if (spec.match) {
    for (const object of objects.slice(0, 5)) {
      const diff = matchPartial(spec.match, object);
      out.push(diff.ok ? `✓ ${describeObject(object)} matches` : `${describeObject(object)}:\n${formatMismatches(diff)}`);
    }
  }
  for (const q of spec.jmespath ?? []) out.push(queryRow(q, queryInput(spec, objects), objects.length > 0));
  return out.join('\n');
}

/** The first query that does not hold on objects that were found, for the check's message. */
const mismatchOf = (spec: AssertSpec, objects: KubernetesObject[]) => (objects.length ? queryMismatch(spec.jmespath ?? [], queryInput(spec, objects)) : { ja: '', en: '' });

/** The objects as the student handed them in that the reference selects, from the named stage or the last stage that has any. */
function submittedObjects(ctx: KubeCheckContext, spec: AssertSpec): KubernetesObject[] {
  const { kind, name, selector } = spec.resource;
  const selects = (o: KubernetesObject) =>
    o.kind === kind && (name === undefined || o.metadata?.name === name) && Object.entries(selector ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v);
  const stages = [...ctx.stages.values()].filter((s) => spec.stage === undefined || s.id === spec.stage);
  const found = stages.map((s) => [...s.submitted, ...[...s.commandFiles.values()].flat()].map((v) => v.object).filter(selects)).filter((list) => list.length > 0);
  return found.at(-1) ?? [];
}

/** `assert`: the selected objects exist and match (partial object, count, JMESPath), polled until the deadline. */
export const assertStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = describeRef(spec.resource);
    if (spec.source === 'submitted') {
      const objects = submittedObjects(ctx, spec);
      if (holds(spec, objects)) return pass(`提出された ${what} は期待どおりです。`, `The submitted ${what} is as expected.`, rows(spec, objects));
      const mismatch = mismatchOf(spec, objects);
      return fail(`提出された ${what} が期待どおりではありません。${mismatch.ja}`, `The submitted ${what} is not as expected.${mismatch.en}`, rows(spec, objects));
    }
    const polled = await watchResource(ctx, spec.resource, {
      timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS,
      holds: (objects) => holds(spec, objects),
      crashLoopExpected: expectsCrashLoop(spec),
      refusalExpected: expectsRefusal(spec),
    });
    const objects = polled.last?.objects ?? [];
    if (polled.ok) return pass(`${what} は期待どおりです。`, `${what} is as expected.`, rows(spec, objects));
    const missing = objects.length === 0 && (spec.count?.min ?? 1) > 0;
    const mismatch = mismatchOf(spec, objects);
    const message = missing
      ? { ja: `${what} が見つかりません。`, en: `${what} was not found.` }
      : { ja: `${what} が期待どおりになりませんでした（${Math.round(polled.elapsedMs / 1000)} 秒待ちました）。${mismatch.ja}`, en: `${what} did not become as expected (waited ${Math.round(polled.elapsedMs / 1000)} s).${mismatch.en}` };
    return failedPoll(ctx, polled, message, rows(spec, objects));
  },
});
