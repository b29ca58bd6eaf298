/**
 * A benchmark floods the api from one address on purpose: rate limits so high they never bind, so
 * it measures the api, not its limiter (the Redis counting itself stays on the request path).
 */
export const UNLIMITED_RATES: Record<string, string> = Object.fromEntries(
  ['ADDRESS_SUBMISSIONS', 'ADDRESS_READS', 'ADDRESS_UNKNOWN_TOKENS', 'STUDENT_SUBMISSIONS', 'STUDENT_READS', 'STAFF_SUBMISSIONS', 'STAFF_READS'].map((name) => [`KADAI_RATE_${name}`, String(1e9)]),
);
