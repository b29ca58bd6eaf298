import type { InputIssue } from '@kadai/errors';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { contentVersion, readLabContent } from './content';
import { checksOf, type CheckValidator, type Lab, type LabFiles, type SelfTestCase } from './lab';
import { LineCounter, parseDocument } from 'yaml';
import { locate } from './locate';
import { checkCoverage } from './coverage';
import { parseYaml } from './parse';
import { expectationFor, labDefinition, type LabKind } from './schema';

export interface Catalog {
  labs: Map<string, Lab>;
  /** Every problem found, as file:line:col; a lab with problems is left out of `labs`. */
  issues: InputIssue[];
}

export type CheckValidators = Partial<Record<LabKind, CheckValidator>>;

/** A validator names the field; the position of that field in lab.yaml is found here. */
function withPosition(issue: InputIssue, text: string): InputIssue {
  if (issue.line !== undefined || !issue.field) return issue;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const path = issue.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const { line, column } = locate(doc, lineCounter, path);
  return { ...issue, line, column };
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

export async function loadLab(labDir: string, validators: CheckValidators = {}): Promise<{ lab?: Lab; issues: InputIssue[] }> {
  const content = await readLabContent(labDir);
  if (!content.files) return { issues: content.issues };
  const { lab, issues } = labFromFiles(labDir, content.files, validators);
  if (!lab) return { issues };
  const selfTest = await loadSelfTests(lab);
  return selfTest.issues.length > 0 ? { issues: selfTest.issues } : { lab, issues: [] };
}

/**
 * A lab from its content — as read from its folder, or as PostgreSQL keeps a published version —
 * validated; its version is the hash of exactly these files.
 */
export function labFromFiles(labDir: string, files: LabFiles, validators: CheckValidators = {}): { lab?: Lab; issues: InputIssue[] } {
  const file = path.join(labDir, 'lab.yaml');
  const text = files.get('lab.yaml')?.toString('utf8');
  if (text === undefined) return { issues: [{ file, message: 'lab.yaml is missing' }] };
  const parsed = parseYaml(file, text, labDefinition);
  if (!parsed.ok) return { issues: parsed.issues };
  const definition = parsed.value;
  const folder = path.basename(labDir);
  if (definition.id !== folder) {
    return { issues: [{ file, line: 1, column: 1, field: 'id', message: `id "${definition.id}" must equal the folder name "${folder}"` }] };
  }
  const issues = (validators[definition.kind]?.(file, definition, files) ?? []).map((issue) => withPosition(issue, text));
  if (issues.length > 0) return { issues };
  return { lab: { definition, dir: labDir, version: contentVersion(files), files }, issues: [] };
}

/** Loads every `labs/<id>/lab.yaml`; one broken lab does not hide the others. */
export async function loadCatalog(labsDir: string, validators: CheckValidators = {}): Promise<Catalog> {
  const labs = new Map<string, Lab>();
  const issues: InputIssue[] = [];
  const entries = await readdir(labsDir, { withFileTypes: true });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const result = await loadLab(path.join(labsDir, entry.name), validators);
    issues.push(...result.issues);
    if (result.lab) labs.set(result.lab.definition.id, result.lab);
  }
  return { labs, issues };
}

/** The lab's `solution/` and each `wrong/<name>/` with what its `expect.yaml` says it must score. */
export async function loadSelfTests(lab: Lab): Promise<{ cases: SelfTestCase[]; issues: InputIssue[] }> {
  const cases: SelfTestCase[] = [];
  const issues: InputIssue[] = [];
  const solution = path.join(lab.dir, 'solution');
  // opt-in checks (`optIn: true`: a live cluster's credentials) are skipped by every case shipped
  // with a lab — no file in the repository may hold a working token — unless a variant fails one
  const optIn = checksOf(lab.definition).filter((c) => (c as { optIn?: unknown }).optIn === true).map((c) => c.id);
  if (await isDirectory(solution)) cases.push({ name: 'solution', layers: [solution], remove: [], fails: [], skipped: optIn, rejected: false });
  else issues.push({ file: solution, message: 'every lab ships a reference solution in solution/' });

  const wrongDir = path.join(lab.dir, 'wrong');
  const variants = (await isDirectory(wrongDir)) ? (await readdir(wrongDir)).sort() : [];
  const expectation = expectationFor(new Set(checksOf(lab.definition).map((c) => c.id)));
  for (const name of variants) {
    const dir = path.join(wrongDir, name);
    const file = path.join(dir, 'expect.yaml');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      issues.push({ file, message: `wrong variant "${name}" has no expect.yaml naming the checks it must fail` });
      continue;
    }
    const parsed = parseYaml(file, text, expectation);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    const { fails, skipped, rejected, base, remove } = parsed.value;
    cases.push({ name: `wrong/${name}`, layers: base ? [solution, dir] : [dir], remove, fails, skipped: [...skipped, ...optIn.filter((id) => !fails.includes(id) && !skipped.includes(id))], rejected });
  }
  // a stale declaration of a check no variant fails is as wrong as an expect.yaml naming no check
  issues.push(...(await checkCoverage(lab, cases)).issues);
  return { cases, issues };
}
