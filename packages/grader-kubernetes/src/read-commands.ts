import type { KubernetesObject } from '@kubernetes/client-node';
import { messageOf, statusOf, type ObjectClient } from '@kadai/k8s-sandbox';
import { KIND_ALIASES } from '@kadai/k8s-vetting';
import { apiVersionOf, DEFAULT_API_VERSIONS } from './resources';
import type { TypedCommand } from './typed-commands';

/** Kinds kubectl's read-only commands may name here, by their lower-case name: the course's and the cluster's own (nodes). */
const CLUSTER_KINDS: Record<string, string> = { node: 'Node', namespace: 'Namespace', persistentvolume: 'PersistentVolume', storageclass: 'StorageClass' };

const kindOf = (word: string | undefined): string | undefined => (word ? (CLUSTER_KINDS[word] ?? KIND_ALIASES[word]) : undefined);
const clusterApiVersion = (kind: string) => (kind === 'StorageClass' ? 'storage.k8s.io/v1' : 'v1');

/** A plain table of the objects: NAME (and, for Pods, STATUS), as `kubectl get` would start it. */
function table(kind: string, objects: KubernetesObject[]): string {
  if (!objects.length) return 'No resources found.';
  const phase = (o: KubernetesObject) => (o as { status?: { phase?: string } }).status?.phase ?? '';
  return [kind === 'Pod' ? 'NAME\tSTATUS' : 'NAME', ...objects.map((o) => (kind === 'Pod' ? `${o.metadata?.name}\t${phase(o)}` : (o.metadata?.name ?? '')))].join('\n');
}

/**
 * What a read-only command the student typed answers when kadai asks the API server as the
 * attempt's ServiceAccount (RBAC decides, as it would for a student's own account with those
 * rights: cluster-wide reads are Forbidden). Never a shell, never kubectl; output only for evidence.
 */
export async function answerReadOnly(client: ObjectClient, namespace: string, command: TypedCommand, signal?: AbortSignal): Promise<string> {
  const [verb, kindWord, ...names] = command.words;
  try {
    switch (verb) {
      case 'version': {
        const version = await client.request<{ gitVersion?: string }>('GET', '/version', signal ? { signal } : {});
        return `Server Version: ${version.gitVersion ?? '?'}`;
      }
      case 'cluster-info':
        await client.request('GET', '/version', signal ? { signal } : {});
        return 'Kubernetes control plane is running (kadai does not show its address)';
      case 'get':
      case 'describe': {
        const kind = kindOf(kindWord);
        if (!kind) return `(kadai does not look up "${kindWord ?? ''}")`;
        const cluster = kind in CLUSTER_KINDS || Object.values(CLUSTER_KINDS).includes(kind);
        const apiVersion = cluster ? clusterApiVersion(kind) : DEFAULT_API_VERSIONS[kind] ? apiVersionOf({ kind }) : 'v1';
        const everywhere = command.flags.includes('--all-namespaces');
        if (everywhere || cluster) {
          // a cluster-wide read, as kubectl would make it: the attempt's account may not
          const objects = await client.list(apiVersion, kind, namespace, { ...(signal ? { signal } : {}), ...(everywhere ? { allNamespaces: true } : {}) });
          return table(kind, objects);
        }
        if (names.length) {
          const objects = await Promise.all(names.map((name) => client.read({ apiVersion, kind, metadata: { name, namespace } }, signal)));
          return verb === 'get' ? table(kind, objects) : objects.map((o) => `Name: ${o.metadata?.name}\nNamespace: ${o.metadata?.namespace}\nLabels: ${JSON.stringify(o.metadata?.labels ?? {})}`).join('\n\n');
        }
        return table(kind, await client.list(apiVersion, kind, namespace, signal ? { signal } : {}));
      }
      default:
        return `(kubectl ${verb ?? ''} is not run by kadai)`;
    }
  } catch (err) {
    const status = statusOf(err);
    if (status === 403) return `Error from server (Forbidden): ${messageOf(err)}`;
    if (status === 404) return `Error from server (NotFound): ${messageOf(err)}`;
    if (err instanceof Error && err.message.startsWith('Unrecognized API version and kind')) return `error: the server doesn't have a resource type "${kindWord ?? ''}"`;
    throw err;
  }
}
