import type { V1Namespace, V1Node } from '@kubernetes/client-node';
import { isNotFound, messageOf, type ObjectClient } from '@kadai/k8s-sandbox';
import { ATTEMPT_NODE_LABEL } from './labels';

export interface NodeReapResult {
  nodes: string[];
  failures: string[];
}

/**
 * Removes attempt nodes whose attempt namespace is gone or being deleted (its run finished, or its
 * worker died and the namespace reaper took it): the node's attempt label names that namespace.
 * Safe to run from several workers at once (a 404 is success).
 */
export async function reapAttemptNodes(client: ObjectClient): Promise<NodeReapResult> {
  const result: NodeReapResult = { nodes: [], failures: [] };
  const nodes = await client.list<V1Node>('v1', 'Node', '', { labelSelector: ATTEMPT_NODE_LABEL });
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const namespace = node.metadata?.labels?.[ATTEMPT_NODE_LABEL] ?? '';
    const live = await client.read<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }).then(
      (ns) => ns.status?.phase !== 'Terminating',
      (err: unknown) => (isNotFound(err) ? false : Promise.reject(err)),
    );
    if (live) continue;
    try {
      await client.delete({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
      result.nodes.push(name);
    } catch (err) {
      if (!isNotFound(err)) result.failures.push(`node ${name}: ${messageOf(err)}`);
    }
  }
  return result;
}
