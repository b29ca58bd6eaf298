import { STATUS_PATH, type MirrorStatus } from './mirror';

/**
 * Whether kadai's package mirror let a build down between `since` and now: it could not be reached,
 * it restarted (a build in flight lost its connections), or it failed to fetch from upstream — for
 * `build` (its proxy credential, mirror.ts BUILD_PROXY_USER) or for a request that named no build;
 * another build's upstream failures are not this one's.
 * Returns why, or undefined when the mirror served everything asked of it. Decided from the
 * mirror's own record, never from the build's output.
 */
export async function mirrorTrouble(mirrorUrl: string, since: number, build?: string, timeoutMs = 5000): Promise<string | undefined> {
  let status: MirrorStatus;
  const query = new URLSearchParams({ since: String(since), ...(build ? { build } : {}) });
  try {
    const res = await fetch(`${mirrorUrl.replace(/\/+$/, '')}${STATUS_PATH}?${query}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `kadai's package mirror answered ${res.status} to its status request`;
    status = (await res.json()) as MirrorStatus;
  } catch (error) {
    return `kadai's package mirror at ${mirrorUrl} is unreachable: ${(error as Error).message}`;
  }
  if (status.startedAt > since) return `kadai's package mirror restarted during the build`;
  const first = status.failures[0];
  if (!first) return undefined;
  const what = first.status ? `answered ${first.status}` : `failed (${first.error ?? 'no answer'})`;
  return `kadai's package mirror could not fetch from upstream during the build: ${first.url} ${what}${status.failures.length > 1 ? ` (+${status.failures.length - 1} more)` : ''}`;
}
