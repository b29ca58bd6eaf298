import type { InputIssue } from '@kadai/errors';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { checksOf, type Lab, type SelfTestCase } from './lab';
import { parseYaml } from './parse';

/**
 * `labs/<id>/unfailed.yaml`: the checks of a lab that no wrong variant fails, each with why no
 * honest student mistake can fail it (e.g. an `apply` step that fails only on input intake or the
 * dry run already refuses). Every other check must be failed by at least one variant.
 */
export const UNFAILED_FILE = 'unfailed.yaml';

const declaration = z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a check id'), z.string().min(20, 'say why no honest mistake fails this check'));

export interface CheckCoverage {
  lab: string;
  /** Checks no variant fails and the lab does not declare: a gap in its self-test. */
  undeclared: string[];
  /** Checks the lab declares unfailed, with the reason it gives. */
  declared: Record<string, string>;
}

/** Reads a lab's declared unfailed checks; an id that is no check, or that a variant does fail, is an issue. */
export async function checkCoverage(lab: Lab, cases: readonly SelfTestCase[]): Promise<{ coverage: CheckCoverage; issues: InputIssue[] }> {
  const file = path.join(lab.dir, UNFAILED_FILE);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const parsed = text === undefined ? ({ ok: true, value: {} } as const) : parseYaml(file, text, declaration);
  const declared = parsed.ok ? parsed.value : {};
  const issues: InputIssue[] = parsed.ok ? [] : [...parsed.issues];
  const ids = checksOf(lab.definition).map((c) => c.id);
  const failed = new Set(cases.flatMap((c) => c.fails));
  for (const id of Object.keys(declared)) {
    if (!ids.includes(id)) issues.push({ file, field: id, message: `no check with id "${id}" in this lab` });
    else if (failed.has(id)) issues.push({ file, field: id, message: `"${id}" is failed by a wrong variant: it is not unfailed, remove it here` });
  }
  const undeclared = ids.filter((id) => !failed.has(id) && !(id in declared));
  return { coverage: { lab: lab.definition.id, undeclared, declared }, issues };
}
