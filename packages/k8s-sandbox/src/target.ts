import { KubeConfig } from '@kubernetes/client-node';

/**
 * Where the grader points: a kubeconfig (optionally one of its contexts), or the service account
 * of the Pod kadai runs in. The worker's config decides; this package never reads the environment.
 */
export type ClusterTarget = { kind: 'kubeconfig'; path: string; context?: string } | { kind: 'in-cluster' };

export function kubeConfigFor(target: ClusterTarget): KubeConfig {
  const kc = new KubeConfig();
  if (target.kind === 'in-cluster') {
    kc.loadFromCluster();
    return kc;
  }
  kc.loadFromFile(target.path);
  if (target.context !== undefined) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`kubeconfig ${target.path} has no context ${target.context} (it has: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(target.context);
  }
  return kc;
}

/** The same cluster and credentials, every request impersonating `user` (RBAC and admission see only it). */
export function impersonating(kc: KubeConfig, user: string): KubeConfig {
  const current = kc.getCurrentUser();
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!current || !context) throw new Error('kubeconfig has no current user or context');
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.getClusters(),
    users: [{ ...current, impersonateUser: user }],
    contexts: [{ ...context, user: current.name }],
    currentContext: context.name,
  });
  return out;
}
