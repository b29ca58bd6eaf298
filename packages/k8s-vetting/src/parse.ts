import { LineCounter, isMap, isSeq, parseAllDocuments, type Node, type Tags } from 'yaml';
import type { InputIssue } from '@kadai/errors';
import { Locator, formatPath, type FieldPath } from './locate';
import type { ManifestLimits } from './policy';
import { isRecord } from './report';

/** One object as submitted: where it came from and how to point into its source. */
export interface SourceObject {
  file: string;
  /** 1-based document number in the file. */
  document: number;
  /** Index in a `List`'s items, when the object came from one. */
  item?: number;
  object: Record<string, unknown>;
  locator: Locator;
}

/**
 * YAML exactly as kubectl reads it: sigs.k8s.io/yaml on go-yaml v2, i.e. YAML 1.1 (`on`/`yes` are
 * booleans, `0755` is octal) with merge keys expanded. Duplicate keys are refused: go-yaml and the
 * API server's strict decoding disagree on which one wins, and a policy check that reads a
 * different value from the one applied is a bypass.
 */
const YAML_OPTIONS = {
  version: '1.1',
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
  // go-yaml v2 leaves timestamp-like values as strings when decoding into interface{}, as kubectl does
  customTags: (tags: Tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
} as const;

/** `---` lines counted without parsing, so a file of thousands of documents is refused for free. */
function documentCount(text: string): number {
  const separators = text.match(/^---/gm)?.length ?? 0;
  return text.trimStart().startsWith('---') ? separators : separators + 1;
}

export interface ParseResult {
  objects: SourceObject[];
  issues: InputIssue[];
  /** Set when a size ceiling was hit: the submission is refused as too large (413). */
  tooLarge: boolean;
}

export function parseManifestFiles(files: ReadonlyMap<string, Buffer>, limits: ManifestLimits): ParseResult {
  const issues: InputIssue[] = [];
  const objects: SourceObject[] = [];
  let total = 0;
  for (const [file, data] of files) {
    total += data.length;
    if (data.length > limits.maxFileBytes) issues.push({ file, message: `the file is ${data.length} bytes; at most ${limits.maxFileBytes} bytes are accepted per manifest file` });
  }
  if (total > limits.maxTotalBytes) issues.push({ message: `the manifests are ${total} bytes together; at most ${limits.maxTotalBytes} bytes are accepted` });
  if (issues.length > 0) return { objects, issues, tooLarge: true };

  for (const [file, data] of files) {
    const text = data.toString('utf8');
    const count = documentCount(text);
    if (count > limits.maxDocuments) {
      issues.push({ file, message: `the file holds ${count} YAML documents; at most ${limits.maxDocuments} are accepted` });
      return { objects, issues, tooLarge: true };
    }
    parseFile(file, text, limits, objects, issues);
    if (objects.length > limits.maxObjects) {
      issues.push({ file, message: `the manifests hold more than ${limits.maxObjects} objects; at most ${limits.maxObjects} are accepted` });
      return { objects, issues, tooLarge: true };
    }
  }
  return { objects, issues, tooLarge: false };
}

function parseFile(file: string, text: string, limits: ManifestLimits, objects: SourceObject[], issues: InputIssue[]): void {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter: lines });
  const docs = Array.isArray(parsed) ? parsed : [];
  docs.forEach((doc, index) => {
    const document = index + 1;
    const at = (offset: number) => {
      const { line, col } = lines.linePos(offset);
      return { line, column: col };
    };
    if (doc.errors.length > 0) {
      for (const error of doc.errors) issues.push({ file, ...at(error.pos[0]), message: `document ${document}: ${error.message}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliases });
    } catch (error) {
      // only the alias count is a bomb; an alias of an anchor defined in another document (or
      // nowhere) also fails here, and must say so instead of being called an attack
      const message = /excessive alias count/i.test((error as Error).message)
        ? `alias bomb: more than ${limits.maxAliases} aliases expanded`
        : `${(error as Error).message} (anchors are defined per YAML document: an alias cannot reach another document)`;
      issues.push({ file, ...at(doc.contents?.range[0] ?? doc.range[0]), message: `document ${document}: ${message}` });
      return;
    }
    if (value === null || value === undefined) return; // only comments: kubectl skips it too
    const root = doc.contents as Node;
    if (!isRecord(value)) {
      issues.push({ file, ...at(root.range?.[0] ?? 0), message: `document ${document}: a Kubernetes object must be a mapping (apiVersion, kind, metadata, …)` });
      return;
    }
    const locator = new Locator(doc, root, lines);
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      // kubectl applies a List's items one by one; each is judged, and counted, as an object of its own
      const itemsNode = isMap(root) ? (root.get('items', true) as Node | undefined) : undefined;
      value.items.forEach((item: unknown, i: number) => {
        const node = itemsNode && isSeq(itemsNode) ? (itemsNode.items[i] as Node | undefined) : undefined;
        const itemLocator = node ? new Locator(doc, node, lines) : locator;
        if (!isRecord(item)) {
          const path: FieldPath = ['items', i];
          issues.push({ file, ...locator.locate(path), field: formatPath(path), message: `document ${document}: a List item must be an object` });
        } else objects.push({ file, document, item: i, object: item, locator: itemLocator });
      });
      return;
    }
    objects.push({ file, document, object: value, locator });
  });
}
