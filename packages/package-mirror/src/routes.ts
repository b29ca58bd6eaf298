/**
 * The only places a build may fetch from, each under a fixed prefix of the mirror. Anything else is
 * a 404 from the mirror itself: builds have no other way out (see infra/packages/README.md).
 */
export interface Route {
  /** The mirror's path prefix, e.g. `/pypi/simple`. */
  prefix: string;
  /** What it stands for upstream (no trailing slash). */
  upstream: string;
  /** Whether a path names immutable content (cached for good) rather than an index that changes. */
  immutable: (path: string) => boolean;
  /** Rewrites absolute upstream links in an index so clients come back to the mirror. */
  rewrite?: (body: string, mirrorBase: string) => string;
  /**
   * A path below the prefix the mirror always asks upstream for (never from its cache) and the
   * upstream answers while it is up — found or not found, without trouble: the worker asks it to
   * tell an upstream that is down from a build's request that fails on its own (client.ts).
   */
  probe: string;
}

export interface Upstreams {
  pypi: string;
  pypiFiles: string;
  npm: string;
  goproxy: string;
  debian: string;
  debianSecurity: string;
}

export const DEFAULT_UPSTREAMS: Readonly<Upstreams> = Object.freeze({
  pypi: 'https://pypi.org/simple',
  pypiFiles: 'https://files.pythonhosted.org',
  npm: 'https://registry.npmjs.org',
  goproxy: 'https://proxy.golang.org',
  debian: 'https://deb.debian.org/debian',
  debianSecurity: 'https://deb.debian.org/debian-security',
});

const replaceAll = (body: string, from: string, to: string) => body.split(from).join(to);
const debianImmutable = (path: string) => path.startsWith('/pool/') || path.includes('/by-hash/');

export function routes(up: Upstreams): Route[] {
  return [
    {
      prefix: '/pypi/simple',
      upstream: up.pypi,
      immutable: () => false,
      rewrite: (body, base) => replaceAll(body, `${up.pypiFiles}/`, `${base}/pypi/files/`),
      probe: '/six/',
    },
    // file names carry their content hash in the path: never change (the probe is a file that does
    // not exist: a real one would be answered from the cache)
    { prefix: '/pypi/files', upstream: up.pypiFiles, immutable: () => true, probe: '/packages/kadai-probe' },
    {
      prefix: '/npm',
      upstream: up.npm,
      immutable: (path) => /\/-\/[^/]+\.tgz$/.test(path),
      rewrite: (body, base) => replaceAll(body, `${up.npm}/`, `${base}/npm/`),
      probe: '/left-pad',
    },
    // a module version's .mod/.zip/.info never change (that is what the checksum database is for)
    { prefix: '/goproxy', upstream: up.goproxy, immutable: (path) => /\/@v\/[^/]+\.(mod|zip|info)$/.test(path) && !path.includes('/sumdb/'), probe: '/golang.org/x/text/@v/list' },
    // a component's Release file: a few hundred bytes, outside pool/ and by-hash/ (never cached)
    { prefix: '/debian-security', upstream: up.debianSecurity, immutable: debianImmutable, probe: '/dists/bookworm-security/main/binary-all/Release' },
    { prefix: '/debian', upstream: up.debian, immutable: debianImmutable, probe: '/dists/bookworm/main/binary-all/Release' },
  ];
}

/** Characters package paths use (Go's `!` case escapes, npm's `@scope%2f`, PEP 503 names, Debian pool names). */
const SAFE_PATH = /^[A-Za-z0-9._~+@%!=,/-]*$/;

/** The route and the path below its prefix, or undefined when the mirror does not serve it. */
export function match(table: Route[], pathname: string): { route: Route; path: string } | undefined {
  if (!SAFE_PATH.test(pathname) || pathname.split('/').some((s) => s === '..' || s === '.') || /%2e/i.test(pathname)) return undefined;
  for (const route of table) {
    if (pathname === route.prefix || pathname.startsWith(`${route.prefix}/`)) return { route, path: pathname.slice(route.prefix.length) || '/' };
  }
  return undefined;
}
