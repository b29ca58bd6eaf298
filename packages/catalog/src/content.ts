import type { InputIssue } from '@kadai/errors';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UNFAILED_FILE } from './coverage';
import type { LabFiles } from './lab';

/** Relative paths of every regular file under `dir`, sorted so the order never depends on the disk. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files.sort();
}

/**
 * What grading may read of a lab: every file of its folder but the self-test's (`solution/`,
 * `wrong/`, `unfailed.yaml`), held in memory by each process and in PostgreSQL for every published
 * version — hence the bound.
 */
export const MAX_LAB_CONTENT_BYTES = 4 * 1024 * 1024;
const isSelfTestFile = (rel: string) => rel.startsWith('solution/') || rel.startsWith('wrong/') || rel === UNFAILED_FILE;

/** A lab folder's content as grading uses it, each file read once (a later edit of the folder changes nothing held). */
export async function readLabContent(dir: string): Promise<{ files?: LabFiles; issues: InputIssue[] }> {
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const rel of await listFiles(dir).catch(() => [])) {
    if (isSelfTestFile(rel)) continue;
    const content = await readFile(path.join(dir, rel));
    total += content.length;
    if (total > MAX_LAB_CONTENT_BYTES) {
      const message = `the lab's files besides solution/, wrong/ and ${UNFAILED_FILE} pass ${MAX_LAB_CONTENT_BYTES / 1024 / 1024} MiB (grading holds them in memory, PostgreSQL every published version)`;
      return { issues: [{ file: path.join(dir, rel), message }] };
    }
    files.set(rel, content);
  }
  return { files, issues: [] };
}

/** A lab's version: the SHA-256 of its content (every file's path and bytes), first 16 hex digits. */
export function contentVersion(files: LabFiles): string {
  const hash = createHash('sha256');
  for (const rel of [...files.keys()].sort()) {
    const content = files.get(rel)!;
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex').slice(0, 16);
}
