import { defineCheck, fail, pass, row, skipped, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';
import { liveRequest, readLiveCredentials, resolveEndpoint, type LiveCredentials, type LiveEndpoint } from '../live-cluster';

const fields = z.strictObject({
  ...kubeCheckFields,
  /** The credentials file the student may hand in (not in `submission.files`: it is opt-in). */
  file: z.string().min(1),
  /** Always true: without the file the step is skipped, and the self-test's static cases expect it skipped. */
  optIn: z.literal(true),
  /** How many Ready nodes the cluster has. */
  readyNodes: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(0).optional() }),
  /** Labels every Ready node has (e.g. the node group's instance type, `node.kubernetes.io/instance-type: m5.large`). */
  nodeLabels: z.record(z.string(), z.string()).optional(),
  /** The kubelet version every Ready node reports starts with this (`v1.3`). */
  kubeletVersion: z.string().min(1).optional(),
});
type LiveSpec = z.infer<typeof fields>;

interface NodeList {
  items?: { metadata?: { name?: string; labels?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string } } }[];
}

const LIVE_TIMEOUT_SECONDS = 30;

/** The writes a read-only token must not be allowed anywhere in the cluster. */
const WRITES = [
  { verb: 'create', resource: 'pods' },
  { verb: 'delete', resource: 'nodes' },
  { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' },
];

/** Which of WRITES the token may do (SelfSubjectAccessReview, cluster-wide). */
async function writesAllowed(credentials: LiveCredentials, endpoint: LiveEndpoint, signal: AbortSignal): Promise<string[]> {
  const allowed: string[] = [];
  for (const write of WRITES) {
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: write.verb, resource: write.resource, ...(write.group ? { group: write.group } : {}) } } };
    const answer = await liveRequest(credentials, endpoint, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review, signal);
    if ((answer.json as { status?: { allowed?: boolean } } | undefined)?.status?.allowed === true) allowed.push(`${write.verb} ${write.resource}`);
  }
  return allowed;
}

/**
 * `liveCluster` (E11, final assignment ④; opt-in): the student's own cluster, read-only through
 * the ServiceAccount token they hand in (live-cluster.ts): its Ready nodes, their kubelet version
 * and labels (the node group's size and instance type). Skipped when no credentials were handed in.
 * Nothing is written to that cluster; the token is refused if it could write cluster-wide.
 */
export const liveClusterStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, LIVE_TIMEOUT_SECONDS),
  async run(spec: LiveSpec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const data = ctx.files.get(spec.file);
    if (data === undefined || data.length === 0) {
      return skipped(`${spec.file} が提出されていません（任意: 自分のクラスタを読み取り専用で確かめる場合に提出します。採点後に消去されるので、再採点では確かめません）。`, `${spec.file} was not handed in (optional: hand it in to have your own cluster checked read-only; it is erased after grading, so a regrade does not check it).`);
    }
    // vetted by the api already (validate); read again here, where it is used
    const credentials = readLiveCredentials(spec.file, data);
    const where = credentials.server.host;
    const endpoint = await resolveEndpoint(credentials.server, ctx.liveCluster ?? { allowedPrivate: [] });
    if ('refused' in endpoint) return fail(`${where} には接続しません: ${endpoint.refused}`, `kadai does not connect to ${where}: ${endpoint.refused}`);
    let nodes: NodeList;
    try {
      const writes = await writesAllowed(credentials, endpoint, ctx.signal);
      if (writes.length) return fail(`このトークンは書き込みができます（${writes.join(', ')}）。kadai は読み取り専用のトークンだけを使います（nodes の get/list だけを許す ClusterRole を結び付けた ServiceAccount）。`, `This token can write (${writes.join(', ')}); kadai uses read-only tokens only (a ServiceAccount bound to a ClusterRole allowing get/list on nodes).`);
      const answer = await liveRequest(credentials, endpoint, 'GET', '/api/v1/nodes', undefined, ctx.signal);
      if (answer.status !== 200) return fail(`${where} でノード一覧を読めませんでした（HTTP ${answer.status}）。トークンに nodes の list を許してください。`, `Listing the nodes of ${where} was refused (HTTP ${answer.status}): allow the token to list nodes.`);
      nodes = answer.json as NodeList;
    } catch (err) {
      // the student's cluster, not kadai's: unreachable, too slow or a certificate that does not match
      // is theirs to fix (a worker shutting down is the runner's to retry, whatever this returns)
      return fail(`${where} に接続できませんでした: ${(err as Error).message}`, `Could not reach ${where}: ${(err as Error).message}`);
    }
    const ready = (nodes.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const count = ready.length;
    const countOk = count >= spec.readyNodes.min && (spec.readyNodes.max === undefined || count <= spec.readyNodes.max);
    const wantCount = spec.readyNodes.max === undefined ? `at least ${spec.readyNodes.min}` : spec.readyNodes.min === spec.readyNodes.max ? String(spec.readyNodes.min) : `${spec.readyNodes.min}–${spec.readyNodes.max}`;
    const rows = [row('Ready nodes', countOk, wantCount, count)];
    let ok = countOk;
    for (const node of ready) {
      const name = node.metadata?.name ?? '?';
      const version = node.status?.nodeInfo?.kubeletVersion ?? '';
      if (spec.kubeletVersion !== undefined) {
        const holds = version.startsWith(spec.kubeletVersion);
        ok &&= holds;
        rows.push(row(`${name} kubelet`, holds, `${spec.kubeletVersion}…`, version || '(none)'));
      }
      for (const [key, value] of Object.entries(spec.nodeLabels ?? {})) {
        const holds = node.metadata?.labels?.[key] === value;
        ok &&= holds;
        rows.push(row(`${name} ${key}`, holds, value, node.metadata?.labels?.[key]));
      }
    }
    const evidence = [`read-only, as the token handed in, from ${where}:`, ...rows].join('\n');
    return ok
      ? pass(`${where} のクラスタは期待どおりです（読み取り専用で確認しました）。`, `The cluster at ${where} is as expected (read-only).`, evidence)
      : fail(`${where} のクラスタが期待どおりではありません（読み取り専用で確認しました）。`, `The cluster at ${where} is not as expected (read-only).`, evidence);
  },
});

/** The credentials files of a lab's liveCluster steps: vetted at submission, erased after grading. */
export function liveCredentialFiles(checks: readonly { type: string }[]): string[] {
  return checks.filter((c) => c.type === 'liveCluster').map((c) => (c as unknown as { file: string }).file);
}
