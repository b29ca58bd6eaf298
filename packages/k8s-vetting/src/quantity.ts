const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * A Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`) as a number, or undefined when it is not
 * one (the dry run then reports the schema error). Precision beyond a double is not needed to
 * compare a request with a quota.
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(value.trim());
  if (!m) return undefined;
  const number = Number(m[1] + (m[2] ?? ''));
  return number * (SUFFIX[m[3] ?? ''] ?? 1);
}
