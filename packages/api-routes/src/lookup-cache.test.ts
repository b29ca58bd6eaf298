import { LookupCache } from './lookup-cache';

describe('LookupCache', () => {
  it('loads once and serves the cached value after', async () => {
    const cache = new LookupCache<string>(60_000, 10);
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get('a', load)).toBe('v1');
    expect(await cache.get('a', load)).toBe('v1');
    expect(loads).toBe(1);
  });

  it('does not keep values `keep` refuses, so unknown keys cannot evict known ones', async () => {
    const cache = new LookupCache<string | undefined>(60_000, 3, (v) => v !== undefined);
    await cache.get('valid', async () => 'principal');
    for (let i = 0; i < 10_000; i++) await cache.get(`random-${i}`, async () => undefined);
    expect(cache.peek('valid')).toBe('principal');
    expect(cache.peek('random-9999')).toBeUndefined();
  });

  it('evicts the least recently used entry when full, not everything', async () => {
    const cache = new LookupCache<number>(60_000, 2);
    await cache.get('a', async () => 1);
    await cache.get('b', async () => 2);
    await cache.get('a', async () => 1); // a is now the most recently used
    await cache.get('c', async () => 3);
    expect([cache.peek('a'), cache.peek('b'), cache.peek('c')]).toEqual([1, undefined, 3]);
  });

  it('forgets entries after the ttl and caches nothing with ttl 0', async () => {
    const short = new LookupCache<number>(20, 10);
    await short.get('a', async () => 1);
    await new Promise((r) => setTimeout(r, 40));
    expect(short.peek('a')).toBeUndefined();
    const off = new LookupCache<number>(0, 10);
    await off.get('a', async () => 1);
    expect(off.peek('a')).toBeUndefined();
  });
});
