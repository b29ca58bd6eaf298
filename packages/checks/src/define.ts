import type { CheckSpec } from '@kadai/catalog';
import type { InputIssue } from '@kadai/errors';
import { z } from 'zod';
import type { CheckOutcome } from './outcome';

/** Fields every check has (the catalog validates them); a type's schema adds its own and stays strict. */
export const commonCheckFields = {
  id: z.string(),
  type: z.string(),
  title: z.unknown(),
  points: z.number(),
  visibility: z.unknown().optional(),
  /** Ids of earlier checks that must have passed; otherwise this check is skipped (not failed). */
  needs: z.array(z.string()).optional(),
  /** Shown with a failure, after the message (ja/en). */
  hint: z.strictObject({ ja: z.string().min(1), en: z.string().min(1) }).optional(),
};

/** One check type of a lab kind: its lab.yaml fields and how it is evaluated in that kind's context. */
export interface CheckType<Spec, Ctx> {
  fields: z.ZodType<Spec>;
  /**
   * The longest this check may take for this spec (its own timeouts plus some slack, ms); the run
   * loop ends it there with a failed check. Without it, only the attempt's remaining time bounds it.
   */
  timeoutMs?(spec: Spec): number;
  run(spec: Spec, ctx: Ctx): Promise<CheckOutcome>;
}

/** A check type with its spec type hidden: what a registry holds and the run loop calls. */
export interface Check<Ctx> {
  readonly fields: z.ZodType;
  /** Parses a lab's check (already validated when the catalog loaded) into something to run. */
  prepare(raw: unknown): PreparedCheck<Ctx>;
}

export interface PreparedCheck<Ctx> {
  timeoutMs: number | undefined;
  run(ctx: Ctx): Promise<CheckOutcome>;
}

/** Every check type of one lab kind, by its `type` in lab.yaml. */
export type CheckRegistry<Ctx> = Readonly<Record<string, Check<Ctx>>>;

/** Binds a check type's parser to its evaluation, so registries hold checks of any spec without casts. */
export function defineCheck<Spec, Ctx>(type: CheckType<Spec, Ctx>): Check<Ctx> {
  return {
    fields: type.fields,
    prepare(raw) {
      const spec = type.fields.parse(raw);
      return { timeoutMs: type.timeoutMs?.(spec), run: (ctx) => type.run(spec, ctx) };
    },
  };
}

/** The problems of a lab's checks against a registry: unknown types and each type's own fields, as `checks.<i>.<field>`. */
export function checkIssues<Ctx>(file: string, checks: readonly CheckSpec[], registry: CheckRegistry<Ctx>): InputIssue[] {
  const issues: InputIssue[] = [];
  checks.forEach((check, index) => {
    const type = registry[check.type];
    if (!type) {
      issues.push({ file, field: `checks.${index}.type`, message: `unknown check type "${check.type}" (${Object.keys(registry).join(', ')})` });
      return;
    }
    const parsed = type.fields.safeParse(check);
    if (!parsed.success) for (const i of parsed.error.issues) issues.push({ file, field: ['checks', index, ...i.path].join('.'), message: i.message });
  });
  return issues;
}
