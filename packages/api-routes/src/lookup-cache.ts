import { LRUCache } from 'lru-cache';

/**
 * A bounded cache of looked-up rows for hot request paths (a token's principal, a student's
 * assignment for a lab), so a burst of requests does not repeat the same query. Entries live
 * `ttlMs`, so changes made elsewhere (a revoked token, a moved deadline) take effect within that
 * time. When full it drops the least recently used entry — never everything at once — and it keeps
 * only what `keep` accepts: unknown tokens are not cached, so a flood of made-up tokens cannot push
 * valid ones out.
 */
export class LookupCache<V> {
  private readonly entries: LRUCache<string, { value: V }> | undefined;

  constructor(
    ttlMs: number,
    maxEntries: number,
    private readonly keep: (value: V) => boolean = () => true,
  ) {
    this.entries = ttlMs > 0 ? new LRUCache({ max: maxEntries, ttl: ttlMs }) : undefined;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries?.get(key);
    if (hit) return hit.value;
    const value = await load();
    if (this.keep(value)) this.entries?.set(key, { value });
    return value;
  }

  /** The cached value, without loading it (a token already known to be valid, for example). */
  peek(key: string): V | undefined {
    return this.entries?.get(key)?.value;
  }
}
