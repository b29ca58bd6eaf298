import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { StudentWorkError } from '@kadai/errors';
import { ObjectClient } from './client';
import { infrastructureError, messageOf, statusOf } from './errors';
import { impersonating } from './target';

/** The field manager the student's objects are applied under (what `kubectl apply --server-side` calls kubectl). */
export const SUBMISSION_FIELD_MANAGER = 'kadai-submission';

const describe = (o: KubernetesObject) => `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;

export interface ApplyOptions {
  force?: boolean;
  /** Server-side dry run: admission and validation judge the objects, nothing is stored. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/**
 * Applies objects by server-side apply while impersonating `user` (the attempt's ServiceAccount):
 * RBAC and admission judge each request as that account, so whatever vetting missed — a
 * cluster-scoped kind, another namespace, a quota exceeded — is refused by the API server.
 * Objects go as written (unknown fields refused, fieldValidation=Strict), see ObjectClient.
 * A refusal (4xx) is the submission's failure; no answer or a 5xx is kadai's.
 */
export class ImpersonatingApplier {
  /** The attempt's own client: every request impersonates its ServiceAccount. */
  readonly client: ObjectClient;
  /** The same identity for client-node's own APIs (Exec). */
  readonly kubeConfig: KubeConfig;

  constructor(kc: KubeConfig, user: string, namespace: string) {
    const as = impersonating(kc, user);
    // objects without a namespace land in the attempt's (the context's namespace is the client's default)
    const context = as.getContextObject(as.getCurrentContext());
    if (context) (context as { namespace?: string }).namespace = namespace;
    this.kubeConfig = as;
    this.client = new ObjectClient(as);
  }

  /** Applies in order, stopping at the first refusal; resolves with the objects as the server stored them. */
  async apply(objects: readonly KubernetesObject[], options: ApplyOptions = {}): Promise<KubernetesObject[]> {
    const applied: KubernetesObject[] = [];
    for (const object of objects) {
      try {
        applied.push(await this.client.apply(object, { fieldManager: SUBMISSION_FIELD_MANAGER, force: options.force ?? false, dryRun: options.dryRun ?? false, ...(options.signal ? { signal: options.signal } : {}) }));
      } catch (err) {
        throw applyError(object, err);
      }
    }
    return applied;
  }
}

function applyError(object: KubernetesObject, err: unknown): Error {
  const status = statusOf(err);
  const refused = status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
  // the client's discovery found no such kind: the manifest names a kind this cluster does not serve
  const unknownKind = err instanceof Error && err.message.startsWith('Unrecognized API version and kind');
  if (refused || unknownKind) return new StudentWorkError(`${describe(object)} was refused: ${messageOf(err)}`);
  return infrastructureError(`applying ${describe(object)}`, err);
}
