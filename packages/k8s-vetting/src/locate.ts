import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';

/** A field path as the checks name it: `spec.template.spec.containers[0].image` is `['spec','template','spec','containers',0,'image']`. */
export type FieldPath = ReadonlyArray<string | number>;

export function formatPath(path: FieldPath): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

export interface Position {
  line: number;
  column: number;
}

/**
 * Finds where a field of the resolved object was written. Merge keys (`<<: *base`) are followed
 * into the mapping they merge, so a field smuggled in through an anchor is reported where the
 * anchor defines it — the line a student has to change.
 */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly root: Node | null,
    private readonly lines: LineCounter,
  ) {}

  /** The position of the deepest part of `path` that exists in the source. */
  locate(path: FieldPath): Position | undefined {
    let node = this.resolve(this.root);
    let at = node?.range?.[0];
    for (const segment of path) {
      const found = typeof segment === 'number' ? this.item(node, segment) : this.entry(node, segment, 0);
      if (!found) break;
      at = found.at;
      node = this.resolve(found.node);
    }
    if (at === undefined) return undefined;
    const { line, col } = this.lines.linePos(at);
    return { line, column: col };
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    for (let hops = 0; node && isAlias(node) && hops < 32; hops++) node = node.resolve(this.doc) as Node | undefined;
    return node ?? undefined;
  }

  private item(node: Node | undefined, index: number): { at: number; node: Node | undefined } | undefined {
    if (!node || !isSeq(node)) return undefined;
    const item = node.items[index] as Node | undefined;
    return item?.range ? { at: item.range[0], node: item } : undefined;
  }

  private entry(node: Node | undefined, key: string, depth: number): { at: number; node: Node | undefined } | undefined {
    if (!node || !isMap(node) || depth > 32) return undefined;
    const map = node as YAMLMap<Node, Node>;
    // explicit keys win over merged ones (as in go-yaml and the YAML merge-key spec)
    for (const pair of map.items) {
      if (isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === key) {
        return { at: pair.key.range?.[0] ?? 0, node: pair.value ?? undefined };
      }
    }
    for (const pair of map.items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue;
      const value = this.resolve(pair.value);
      const sources = value && isSeq(value) ? (value.items as Node[]).map((n) => this.resolve(n)) : [value];
      for (const source of sources) {
        const found = this.entry(source, key, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }
}
