import { LineCounter, parseAllDocuments } from 'yaml';
import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import type { SubmissionFiles } from './limits';

/**
 * Aliases a document may expand. Real manifests use a handful; "billion laughs" style documents
 * need thousands, and expanding them would exhaust memory in whoever reads the YAML next.
 */
const MAX_ALIAS_COUNT = 100;

export function isYamlPath(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

function fileIssues(file: string, data: Buffer): InputIssue[] {
  const lineCounter = new LineCounter();
  // prettyErrors: false keeps messages to one line; positions come from the LineCounter instead.
  const docs = parseAllDocuments(data.toString('utf8'), { lineCounter, prettyErrors: false });
  const issues: InputIssue[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // An empty file parses to an EmptyStream (no documents): valid, nothing to check.
  for (const doc of Array.isArray(docs) ? docs : []) {
    for (const error of doc.errors) issues.push({ file, ...at(error.pos[0]), message: error.message });
    if (doc.errors.length > 0) continue;
    try {
      // Resolving the document is what expands aliases; yaml counts them and throws past the cap.
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const text = (error as Error).message;
      const message = /alias count/i.test(text)
        ? `alias bomb: excessive alias expansion (more than ${MAX_ALIAS_COUNT} aliases)`
        : text;
      // Point at the document's content, not at its "---" marker.
      issues.push({ file, ...at(doc.contents?.range?.[0] ?? doc.range[0]), message });
    }
  }
  return issues;
}

/** Checks every *.yaml / *.yml file and reports all syntax errors of all files at once. */
export function checkYamlSyntax(files: SubmissionFiles): void {
  const issues: InputIssue[] = [];
  for (const [path, data] of files) if (isYamlPath(path)) issues.push(...fileIssues(path, data));
  if (issues.length === 0) return;
  const count = new Set(issues.map((i) => i.file)).size;
  const first = issues[0] as InputIssue;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new RejectedInputError(
    `YAML syntax error in ${count} file${count > 1 ? 's' : ''}: ${formatIssue(first)}${more}`,
    issues,
    422,
  );
}
