import { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'node:https';

/** Idle kept-alive connections are closed well before the API server's own idle timeout (90 s), so a reused one is never half-closed. */
const IDLE_SOCKET_MS = 30_000;

/**
 * A TLS agent like `made` whose connections are kept open and reused. client-node makes a new
 * agent for every request, so each one paid a whole TLS handshake with client-certificate
 * verification — most of an attempt namespace's set-up time on a loaded machine. Agents made for a
 * proxy are left as they are.
 */
export function keepAliveLike(made: unknown): Agent | undefined {
  if (!(made instanceof Agent) || made.constructor !== Agent) return undefined;
  return new Agent({ ...made.options, keepAlive: true, timeout: IDLE_SOCKET_MS });
}

/**
 * A KubeConfig whose API clients share one kept-alive TLS agent (per KubeConfig: the credentials
 * and impersonation are the same for every request it makes).
 */
class ReusingKubeConfig extends KubeConfig {
  private agent?: Agent;

  override async applySecurityAuthentication(context: Parameters<KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    await super.applySecurityAuthentication(context);
    this.agent ??= keepAliveLike(context.getAgent());
    if (this.agent) context.setAgent(this.agent);
  }
}

/**
 * Where the grader points: a kubeconfig (optionally one of its contexts), or the service account
 * of the Pod kadai runs in. The worker's config decides; this package never reads the environment.
 */
export type ClusterTarget = { kind: 'kubeconfig'; path: string; context?: string } | { kind: 'in-cluster' };

export function kubeConfigFor(target: ClusterTarget): KubeConfig {
  const kc = new ReusingKubeConfig();
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
  const out = new ReusingKubeConfig();
  out.loadFromOptions({
    clusters: kc.getClusters(),
    users: [{ ...current, impersonateUser: user }],
    contexts: [{ ...context, user: current.name }],
    currentContext: context.name,
  });
  return out;
}
