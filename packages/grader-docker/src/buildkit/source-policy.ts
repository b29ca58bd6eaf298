import { parseImageRef } from '../image-ref';
import { registryRepository } from '../images';
import { TRANSFER_NAMESPACE } from './transfer';

/**
 * BuildKit's source policy (sent with every build, `buildctl --source-policy-file`): the build may
 * read its own context and images from kadai's registry, nothing else. Docker Hub names are rewritten
 * to kadai's registry (where infra/images/push keeps the stand-ins at the root); images of other
 * registries only as the exact references kadai checked before the build (stored under their host
 * name). Every other source — another registry, `ADD https://…`, a git URL — is denied by BuildKit
 * itself, whatever the Dockerfile frontend makes of the file: a second line behind kadai's own
 * reading of the Dockerfile (`build-policy.ts`).
 *
 * kadai's own images in its registry (`kadai-attempts/…`, and Docker Hub's `kadai-…` names) are denied last: the transfer repositories
 * (transfer.ts) through which attempts' built images pass to the engine are never a build's source.
 *
 * BuildKit evaluates the rules in order; the last ALLOW/DENY that matches wins, and a CONVERT that
 * changes the source starts the evaluation again with the new name.
 */
export interface SourcePolicy {
  rules: Array<{
    action: 'ALLOW' | 'DENY' | 'CONVERT';
    selector: { identifier: string; match_type?: 'EXACT' | 'WILDCARD' | 'REGEX' };
    updates?: { identifier: string };
  }>;
}

/** The name BuildKit's Dockerfile frontend gives an image source (a normalized name with its tag or digest). */
export function imageSourceId(ref: string): string {
  const { registry, repository, reference } = parseImageRef(ref);
  return `docker-image://${registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
}

/**
 * @param registryHost kadai's registry as BuildKit reaches it (`127.0.0.1:5000`)
 * @param images the images outside Docker Hub the Dockerfile names, as kadai checked them
 */
export function buildSourcePolicy(registryHost: string, images: readonly string[]): SourcePolicy {
  const registry = `docker-image://${registryHost}`;
  const convert = images
    .map((ref) => ({ ref, parsed: parseImageRef(ref) }))
    .filter(({ parsed }) => parsed.registry !== 'docker.io' && parsed.registry !== registryHost)
    .map(({ ref, parsed }) => ({
      action: 'CONVERT' as const,
      selector: { identifier: imageSourceId(ref), match_type: 'EXACT' as const },
      updates: { identifier: `${registry}/${registryRepository(parsed)}${parsed.reference.startsWith('sha256:') ? '@' : ':'}${parsed.reference}` },
    }));
  return {
    rules: [
      { action: 'DENY', selector: { identifier: '*', match_type: 'WILDCARD' } },
      { action: 'ALLOW', selector: { identifier: 'local://*', match_type: 'WILDCARD' } },
      { action: 'ALLOW', selector: { identifier: `${registry}/*`, match_type: 'WILDCARD' } },
      { action: 'CONVERT', selector: { identifier: '^docker-image://docker\\.io/(.+)$', match_type: 'REGEX' }, updates: { identifier: `${registry}/$1` } },
      ...convert,
      { action: 'DENY', selector: { identifier: `^${registry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(library/kadai-|${TRANSFER_NAMESPACE}/)`, match_type: 'REGEX' } },
    ],
  };
}

