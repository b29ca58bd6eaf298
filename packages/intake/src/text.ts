import { posix } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { RejectedInputError, type InputIssue } from '@kadai/errors';
import type { SubmissionFiles } from './limits';

const TEXT_EXTENSIONS = new Set([
  '.yaml', '.yml', '.json', '.txt', '.py', '.go', '.md', '.sh', '.conf', '.html',
  '.js', '.ts', '.toml', '.ini', '.env', '.cfg', '.properties', '.sql', '.css', '.xml', '.dockerfile',
]);

const TEXT_NAMES = new Set(['dockerfile', 'containerfile', '.dockerignore', 'makefile', 'requirements.txt', 'go.mod']);

/** Files graders read as text: Dockerfiles (incl. "Dockerfile.dev"), manifests, source, config. */
export function isTextPath(path: string): boolean {
  const base = posix.basename(path).toLowerCase();
  if (TEXT_NAMES.has(base) || base.startsWith('dockerfile.') || base.startsWith('containerfile.')) return true;
  return TEXT_EXTENSIONS.has(posix.extname(base));
}

/**
 * Refuses binary content under a text name (a compiled binary named app.py, a UTF-16 YAML file):
 * parsing it further would only produce confusing errors far from the real cause.
 */
export function assertTextFiles(files: SubmissionFiles, isText: (path: string) => boolean = isTextPath): void {
  const issues: InputIssue[] = [];
  for (const [path, data] of files) {
    if (!isText(path)) continue;
    if (data.includes(0) || !isUtf8(data)) {
      issues.push({ file: path, message: 'binary content where text is expected' });
    }
  }
  if (issues.length > 0) {
    const names = issues.map((i) => i.file).join(', ');
    throw new RejectedInputError(`file ${names}: binary content where text is expected`, issues, 422);
  }
}
