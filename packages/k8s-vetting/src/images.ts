/**
 * Image references compared the way the container runtime resolves them: `nginx` is
 * `docker.io/library/nginx:latest`, `kicbase/echo-server:1.0` is `docker.io/kicbase/echo-server:1.0`.
 */
export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

export function normalizeImage(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository = hasRegistry ? rest : `docker.io/${rest}`;
  if (repository.startsWith('index.docker.io/')) repository = `docker.io/${repository.slice('index.docker.io/'.length)}`;
  if (/^docker\.io\/[^/]+$/.test(repository)) repository = repository.replace('docker.io/', 'docker.io/library/');
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** A pattern without a tag allows every tag and digest of its repository; with one, that tag (globbed) only. */
export function imageAllowed(reference: string, patterns: readonly string[]): boolean {
  const image = normalizeImage(reference);
  return patterns.some((p) => {
    const pattern = normalizeImage(p);
    if (!glob(pattern.repository).test(image.repository)) return false;
    if (pattern.tag === undefined && pattern.digest === undefined) return true;
    if (pattern.digest !== undefined) return image.digest === pattern.digest;
    return image.digest === undefined && glob(pattern.tag ?? '').test(image.tag ?? 'latest');
  });
}
