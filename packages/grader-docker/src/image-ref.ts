/** An image name split the way the engine resolves it (`nginx` → docker.io, `library/nginx`, `latest`). */
export interface ImageRef {
  /** `docker.io` for Docker Hub names, else the host[:port] the name starts with. */
  registry: string;
  /** The repository path on that registry (`library/nginx` for `nginx`), lower-case as references are. */
  repository: string;
  /** Tag or `sha256:…` digest. */
  reference: string;
}

export function parseImageRef(image: string): ImageRef {
  const [name, digest] = image.trim().split('@') as [string, string | undefined];
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let path = hasHost ? name.slice(slash + 1) : name;
  const colon = path.lastIndexOf(':');
  let tag = 'latest';
  if (colon > path.lastIndexOf('/')) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  const registry = hasHost && first !== 'docker.io' && first !== 'index.docker.io' ? first : 'docker.io';
  const repository = (registry === 'docker.io' && !path.includes('/') ? `library/${path}` : path).toLowerCase();
  return { registry, repository, reference: digest ?? tag };
}
