import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A lab's JSON Schemas live in `labs/<id>/schemas/` (data, like fixtures): e.g. eksctl's own ClusterConfig schema. */
export const schemaPath = (labDir: string, file: string): string => path.join(labDir, 'schemas', file);

// upstream schemas carry editor keywords (eksctl's x-intellij-html-description) that strict mode refuses
const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** The compiled schema (once per file and process); throws when it is missing or not a schema — the lab's problem. */
export function loadSchema(labDir: string, file: string): ValidateFunction {
  const full = schemaPath(labDir, file);
  let validate = compiled.get(full);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(full, 'utf8')) as object);
    compiled.set(full, validate);
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
