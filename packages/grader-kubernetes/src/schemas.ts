import type { LabFiles } from '@kadai/catalog';
import Ajv, { type ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';

// upstream schemas carry editor keywords (eksctl's x-intellij-html-description) that strict mode refuses
const ajv = new Ajv({ allErrors: true, strict: false });
/** By the schema's content: a lab version that changes a schema gets its own, one that keeps it shares it. */
const compiled = new Map<string, ValidateFunction>();

/**
 * A lab's JSON Schema (`schemas/<file>` of its content, data like fixtures: e.g. eksctl's own
 * ClusterConfig schema), compiled once per content and process; throws when it is missing or not a
 * schema — the lab's problem.
 */
export function loadSchema(files: LabFiles, file: string): ValidateFunction {
  const content = files.get(`schemas/${file}`);
  if (!content) throw new Error(`schemas/${file} does not exist`);
  const key = createHash('sha256').update(content).digest('hex');
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(content.toString('utf8')) as object);
    compiled.set(key, validate);
  }
  return validate;
}

const MAX_SCHEMA_ERRORS = 20;

/** What the schema says is wrong with the document, one line each (`/path: message`); empty when it is valid. */
export function schemaErrors(validate: ValidateFunction, document: unknown): string[] {
  if (validate(document)) return [];
  const errors = (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : e.keyword === 'enum' ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})` : '';
    return `${e.instancePath || '/'}: ${e.message ?? e.keyword}${extra}`;
  });
  return [...new Set(errors)].slice(0, MAX_SCHEMA_ERRORS);
}
