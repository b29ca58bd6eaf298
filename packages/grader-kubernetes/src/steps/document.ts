import { defineCheck, fail, formatMismatches, matchPartial, pass, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import type { ValidateFunction } from 'ajv';
import { z } from 'zod';
import { kubeCheckFields, type KubeCheckContext } from '../context';
import { allHold, jmespathQuery, queryMismatch, queryRow } from '../judge';
import { loadSchema, schemaErrors } from '../schemas';

const fields = z
  .strictObject({
    ...kubeCheckFields,
    /** A file of the lab's `kubernetes.documents`. */
    file: z.string().min(1),
    /** Which document of the file, by its `kind` and/or `metadata.name`; without either, the file's first. */
    kind: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    /** A JSON Schema in the lab's `schemas/` folder the document must be valid against (e.g. eksctl's ClusterConfig schema). */
    schema: z.string().regex(/^[\w.-]+$/, "a file name in the lab's schemas/ folder").optional(),
    match: z.record(z.string(), z.unknown()).optional(),
    jmespath: z.array(jmespathQuery).min(1).optional(),
  })
  .refine((spec) => spec.schema !== undefined || spec.match !== undefined || spec.jmespath !== undefined, { path: ['match'], message: 'say what to check: schema, match or jmespath' });
type DocumentSpec = z.infer<typeof fields>;

function describe(spec: DocumentSpec): string {
  const which = [spec.kind, spec.name].filter(Boolean).join('/');
  return which ? `${which} (${spec.file})` : spec.file;
}

function select(ctx: KubeCheckContext, spec: DocumentSpec): Record<string, unknown> | undefined {
  const metadataName = (d: Record<string, unknown>) => (d.metadata as { name?: unknown } | undefined)?.name;
  return (ctx.documents.get(spec.file) ?? []).find((d) => (spec.kind === undefined || d.kind === spec.kind) && (spec.name === undefined || metadataName(d) === spec.name));
}

/** The lab's schema at grading time, from the lab version graded with: a broken one is the lab's fault (`kadai labs validate` names it), never the student's. */
function schemaOrFail(ctx: KubeCheckContext, file: string): ValidateFunction {
  try {
    return loadSchema(ctx.lab.files, file);
  } catch (err) {
    throw new InfrastructureError(`schema ${file} of ${ctx.definition.id} version ${ctx.lab.version} cannot be used: ${(err as Error).message}`, false, { cause: err });
  }
}

/**
 * `document`: a file handed in as data (`kubernetes.documents`) says what it should — checked
 * statically, never applied or run (the AWS parts of the EKS exercises, an eksctl ClusterConfig).
 * Its messages say so, so a pass never reads as if kadai had run it.
 */
export const documentStep = defineCheck({
  fields,
  timeoutMs: () => 5_000,
  run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const what = describe(spec);
    const document = select(ctx, spec);
    if (document === undefined) {
      return Promise.resolve(fail(`${what} が提出されたファイルに見つかりません（データとして確認します）。`, `${what} was not found in the file handed in (checked as data).`));
    }
    const invalid = spec.schema ? schemaErrors(schemaOrFail(ctx, spec.schema), document) : [];
    const diff = spec.match ? matchPartial(spec.match, document) : undefined;
    const queries = spec.jmespath ?? [];
    const rows = [
      ...(spec.schema ? [invalid.length ? `✗ not valid against ${spec.schema}:\n${invalid.map((e) => `  ${e}`).join('\n')}` : `✓ valid against ${spec.schema}`] : []),
      ...(diff ? [diff.ok ? `✓ ${what} matches` : formatMismatches(diff)] : []),
      ...queries.map((q) => queryRow(q, document, true)),
    ].join('\n');
    const ok = invalid.length === 0 && (diff?.ok ?? true) && allHold(queries, document);
    const mismatch = queryMismatch(queries, document);
    return Promise.resolve(
      ok
        ? pass(`${what} は期待どおりです（データとして確認しました。実行はしていません）。`, `${what} is as expected (checked as data, not run).`, rows)
        : fail(`${what} が期待どおりではありません（データとして確認しました）。${mismatch.ja}`, `${what} is not as expected (checked as data).${mismatch.en}`, rows),
    );
  },
});
