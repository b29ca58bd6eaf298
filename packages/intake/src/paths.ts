import { posix } from 'node:path';
import { RejectedInputError } from '@kadai/errors';
import type { SubmissionFiles } from './limits';

function badPath(raw: string, why: string): RejectedInputError {
  // JSON.stringify makes NULs and other control characters visible in the message.
  const message = `entry ${JSON.stringify(raw)}: ${why}`;
  return new RejectedInputError(message, [{ file: raw, message: why }], 422);
}

/**
 * Turns an archive/JSON entry name into a safe relative POSIX path, or throws. Everything that
 * could escape the extraction root or mean different things on different systems is refused
 * rather than repaired: a grader must run exactly what the student sent.
 */
export function normalizeEntryPath(raw: string): string {
  if (raw.length === 0) throw badPath(raw, 'empty file name');
  if (raw.includes('\0')) throw badPath(raw, 'file name contains a NUL byte');
  if (raw.includes('\\')) throw badPath(raw, 'file name contains a backslash (use / as separator)');
  if (/^[A-Za-z]:/.test(raw)) throw badPath(raw, 'file name starts with a drive letter');
  if (raw.startsWith('/')) throw badPath(raw, 'absolute paths are not allowed');

  // posix.normalize folds "a/./b", "a//b" and "a/../b"; only a ".." that survives it escapes.
  const normalized = posix.normalize(raw).replace(/\/+$/, '');
  const segments = normalized.split('/');
  if (segments.includes('..')) throw badPath(raw, 'path leads outside the submission root (..)');
  if (normalized === '.' || normalized === '') throw badPath(raw, 'empty file name');
  return normalized;
}

/**
 * True for an entry that names the archive's root folder itself: `tar -C dir -czf work.tgz .` (the
 * commonest way to pack a folder) starts with a "./" folder entry, and `zip -r` of "." may too. It
 * holds no file, so it is skipped; a file entry with such a name is still refused as nameless.
 */
export function isRootFolderEntry(raw: string): boolean {
  return /^\.(\/+\.?)*\/*$/.test(raw);
}

/**
 * Zipping a folder ("mylab/Dockerfile", "mylab/k8s/app.yaml") puts everything under one folder;
 * graders expect the lab files at the root, so that single common folder is removed.
 */
export function stripCommonTopFolder(files: SubmissionFiles): SubmissionFiles {
  let top: string | undefined;
  for (const path of files.keys()) {
    const slash = path.indexOf('/');
    if (slash < 0) return files; // a file at the root: there is no wrapping folder
    const first = path.slice(0, slash);
    if (top === undefined) top = first;
    else if (top !== first) return files;
  }
  if (top === undefined) return files;
  const stripped: SubmissionFiles = new Map();
  for (const [path, data] of files) stripped.set(path.slice(top.length + 1), data);
  return stripped;
}

/**
 * Collects files, refusing duplicates and file/folder clashes ("a" as a file and "a/b"): both
 * would make the extracted tree depend on entry order. `claim` runs before an entry's content is
 * read, so a duplicate is refused without inflating it.
 */
export class FileCollector {
  readonly files: SubmissionFiles = new Map();
  private readonly claimed = new Set<string>();
  private readonly dirs = new Set<string>();

  claim(path: string): void {
    if (this.claimed.has(path)) throw badPath(path, 'duplicate entry');
    if (this.dirs.has(path)) throw badPath(path, 'is both a file and a folder');
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i += 1) {
      const parent = segments.slice(0, i).join('/');
      if (this.claimed.has(parent)) throw badPath(path, `"${parent}" is both a file and a folder`);
    }
    for (let i = 1; i < segments.length; i += 1) this.dirs.add(segments.slice(0, i).join('/'));
    this.claimed.add(path);
  }

  set(path: string, data: Buffer): void {
    this.files.set(path, data);
  }
}

/** True when a link target, resolved the way the OS would, ends up outside the extraction root. */
function escapesRoot(resolved: string): boolean {
  const normalized = posix.normalize(resolved);
  return posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../');
}

/**
 * Links are never accepted (a lab submission needs none and they are the classic way to make an
 * extractor write or read outside its folder); the message says which kind of danger it was.
 */
export function linkRejection(path: string, kind: 'symlink' | 'hardlink', target: string): RejectedInputError {
  // A symlink resolves against its own folder, a hardlink name against the archive root.
  const resolved = kind === 'symlink' && !target.startsWith('/') ? posix.join(posix.dirname(path), target) : target;
  const why =
    target === '' || target.includes('\\') || /^[A-Za-z]:/.test(target) || escapesRoot(resolved)
      ? `${kind} points outside the archive root (-> ${JSON.stringify(target)})`
      : `${kind} to ${JSON.stringify(target)}: links are not allowed in a submission`;
  return badPath(path, why);
}

export function specialFileRejection(path: string, kind: string): RejectedInputError {
  return badPath(path, `${kind} entries are not allowed in a submission (only regular files and folders)`);
}
