/**
 * A small cache of looked-up rows for hot request paths (tokens, a student's assignment for a lab),
 * so a burst of submissions does not repeat the same query. Entries live `ttlMs`; changes made
 * elsewhere (a revoked token, a moved deadline) take effect within that time.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await load();
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, until: Date.now() + this.ttlMs });
    }
    return value;
  }
}
