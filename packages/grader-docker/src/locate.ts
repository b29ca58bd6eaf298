import { Document, LineCounter, isNode } from 'yaml';

/**
 * The line and column of a field path in a parsed YAML document; when the path does not exist, the
 * nearest parent that does (the same rule as @kadai/catalog's locate, which is not exported).
 */
export function locate(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}
