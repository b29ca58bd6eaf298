import type { KubernetesObject } from '@kubernetes/client-node';
import { text } from '@kadai/checks';
import type { Localized } from '@kadai/catalog';
import { z } from 'zod';
import type { KubeCheckContext } from '../context';
import { labelSelector } from '../resources';
import { attemptIngressHost } from '../rewrite';

const labels = z.record(z.string().min(1), z.string());
const port = z.union([z.number().int().min(1).max(65535), z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a port number or the name of a Service port')]);

/**
 * Where an `http` or `rolloutWatch` step sends its requests, always from the probe Pod inside the
 * attempt's namespace: a Service by DNS name (default), by its ClusterIP, through a NodePort on the
 * probe's node, through its LoadBalancer address, an Ingress host/path through the ingress
 * controller's address (published in the Ingress's status), or a Pod picked by labels.
 */
export const httpTarget = z.union([
  z.strictObject({ service: z.string().min(1), port, via: z.enum(['dns', 'clusterIP', 'nodePort', 'loadBalancer']).default('dns') }),
  z.strictObject({ ingress: z.strictObject({ host: z.string().min(1).optional() }) }),
  z.strictObject({ pod: labels, port: z.number().int().min(1).max(65535) }),
  /** One Pod's own DNS name under a headless Service (a StatefulSet's `web-2.svc-web.<namespace>.svc.cluster.local`). */
  z.strictObject({ podDns: z.strictObject({ pod: z.string().min(1), service: z.string().min(1) }), port: z.number().int().min(1).max(65535) }),
]);
export type HttpTarget = z.infer<typeof httpTarget>;

/** A target made concrete: the URL the probe requests (and the Host header), or why there is none yet. */
export type ResolvedTarget =
  | { ok: true; url: string; host?: string; shown: string; objects: KubernetesObject[] }
  | { ok: false; why: Localized; objects: KubernetesObject[] };

interface ServicePort {
  name?: string;
  port: number;
  nodePort?: number;
}
interface ServiceLike extends KubernetesObject {
  spec?: { type?: string; clusterIP?: string; ports?: ServicePort[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}
interface IngressLike extends KubernetesObject {
  spec?: { rules?: { host?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}
interface PodLike extends KubernetesObject {
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

const hostPart = (address: string): string => (address.includes(':') ? `[${address}]` : address);
const withPath = (base: string, path: string): string => `${base}${path.startsWith('/') ? path : `/${path}`}`;
const notYet = (ja: string, en: string, objects: KubernetesObject[] = []): ResolvedTarget => ({ ok: false, why: text(ja, en), objects });

/** What a target names, for messages ("Service web port 80 (by its DNS name)"). */
export function describeTarget(target: HttpTarget): string {
  if ('service' in target) return `Service ${target.service} port ${target.port}${target.via === 'dns' ? '' : ` (${target.via})`}`;
  if ('ingress' in target) return `Ingress host ${target.ingress.host ?? '(any)'}`;
  if ('podDns' in target) return `${target.podDns.pod}.${target.podDns.service} port ${target.port}`;
  return `Pod (${labelSelector(target.pod)}) port ${target.port}`;
}

/**
 * Resolves a target from what the attempt's objects say now (Services, Ingresses and Pods as the API
 * server stores them — so rewritten NodePorts and Ingress hosts are followed). `probeNodeAddress`
 * gives the node address of the probe Pod (NodePorts open on every node).
 */
export async function resolveTarget(ctx: KubeCheckContext, target: HttpTarget, path: string, probeNodeAddress: () => Promise<string | undefined>): Promise<ResolvedTarget> {
  if ('ingress' in target) return resolveIngress(ctx, target.ingress.host, path);
  if ('podDns' in target) {
    // the record exists only under the Service whose name is the Pod's subdomain (a StatefulSet's serviceName): DNS's
    // spec says a headless one, CoreDNS answers for any Service (so the check cannot tell; an assert on clusterIP can)
    const [service] = (await ctx.resources.find({ kind: 'Service', name: target.podDns.service }, ctx.signal)) as ServiceLike[];
    if (!service) return notYet(`Service ${target.podDns.service} がありません。`, `Service ${target.podDns.service} does not exist.`);
    const name = `${target.podDns.pod}.${target.podDns.service}.${ctx.namespace}.svc.cluster.local`;
    return { ok: true, url: withPath(`http://${name}:${target.port}`, path), shown: `http://${target.podDns.pod}.${target.podDns.service}.<namespace>.svc.cluster.local:${target.port}`, objects: [service] };
  }
  if ('pod' in target) {
    const pods = (await ctx.resources.pods(target.pod, ctx.signal)) as PodLike[];
    const ready = pods.filter((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const pod = ready[0];
    if (!pod) return notYet(`ラベル ${labelSelector(target.pod)} の Ready な Pod がありません（${pods.length} 個）。`, `No Ready Pod with labels ${labelSelector(target.pod)} (${pods.length} found).`, pods);
    return { ok: true, url: withPath(`http://${hostPart(pod.status!.podIP!)}:${target.port}`, path), shown: `Pod ${pod.metadata?.name} port ${target.port}`, objects: [pod] };
  }
  const [service] = (await ctx.resources.find({ kind: 'Service', name: target.service }, ctx.signal)) as ServiceLike[];
  if (!service) return notYet(`Service ${target.service} がありません。`, `Service ${target.service} does not exist.`);
  const ports = service.spec?.ports ?? [];
  const found = ports.find((p) => (typeof target.port === 'number' ? p.port === target.port : p.name === target.port));
  if (!found) {
    const has = ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ') || 'none';
    return notYet(`Service ${target.service} にポート ${target.port} がありません（あるのは ${has}）。`, `Service ${target.service} has no port ${target.port} (it has ${has}).`, [service]);
  }
  const objects = [service];
  switch (target.via) {
    case 'dns':
      return { ok: true, url: withPath(`http://${target.service}:${found.port}`, path), shown: `http://${target.service}:${found.port}`, objects };
    case 'clusterIP': {
      const ip = service.spec?.clusterIP;
      if (!ip || ip === 'None') return notYet(`Service ${target.service} には ClusterIP がありません（headless）。`, `Service ${target.service} has no ClusterIP (headless).`, objects);
      return { ok: true, url: withPath(`http://${hostPart(ip)}:${found.port}`, path), shown: `ClusterIP ${ip}:${found.port}`, objects };
    }
    case 'nodePort': {
      if (!found.nodePort) return notYet(`Service ${target.service} のポート ${found.port} に NodePort がありません（type: ${service.spec?.type ?? 'ClusterIP'}）。`, `Service ${target.service} port ${found.port} has no NodePort (type: ${service.spec?.type ?? 'ClusterIP'}).`, objects);
      const node = await probeNodeAddress();
      if (!node) return notYet('プローブ Pod のノードのアドレスがまだわかりません。', "The probe Pod's node address is not known yet.", objects);
      return { ok: true, url: withPath(`http://${hostPart(node)}:${found.nodePort}`, path), shown: `NodePort ${found.nodePort} on the probe's node`, objects };
    }
    case 'loadBalancer': {
      const lb = service.status?.loadBalancer?.ingress?.[0];
      const address = lb?.ip ?? lb?.hostname;
      if (service.spec?.type !== 'LoadBalancer') return notYet(`Service ${target.service} は type: LoadBalancer ではありません（${service.spec?.type ?? 'ClusterIP'}）。`, `Service ${target.service} is not of type LoadBalancer (${service.spec?.type ?? 'ClusterIP'}).`, objects);
      if (!address) return notYet(`Service ${target.service} にまだロードバランサーのアドレスがありません。`, `Service ${target.service} has no load-balancer address yet.`, objects);
      return { ok: true, url: withPath(`http://${hostPart(address)}:${found.port}`, path), shown: `LoadBalancer ${address}:${found.port}`, objects };
    }
  }
}

async function resolveIngress(ctx: KubeCheckContext, declaredHost: string | undefined, path: string): Promise<ResolvedTarget> {
  const host = attemptIngressHost(declaredHost, { namespace: ctx.namespace });
  const ingresses = (await ctx.resources.find({ kind: 'Ingress' }, ctx.signal)) as IngressLike[];
  const serving = ingresses.filter((i) => (i.spec?.rules ?? []).some((r) => r.host !== undefined && hostMatches(r.host, host)));
  const shownHost = declaredHost ?? '(no host)';
  if (!serving.length) return notYet(`ホスト ${shownHost} のルールを持つ Ingress がありません（${ingresses.length} 個）。`, `No Ingress has a rule for host ${shownHost} (${ingresses.length} found).`, ingresses);
  const withAddress = serving.find((i) => i.status?.loadBalancer?.ingress?.some((a) => a.ip ?? a.hostname));
  const lb = withAddress?.status?.loadBalancer?.ingress?.find((a) => a.ip ?? a.hostname);
  const address = lb?.ip ?? lb?.hostname;
  if (!withAddress || !address) return notYet(`Ingress ${serving.map((i) => i.metadata?.name).join(', ')} にまだアドレスがありません（ingressClassName は正しいですか）。`, `Ingress ${serving.map((i) => i.metadata?.name).join(', ')} has no address yet (is its ingressClassName right?).`, serving);
  return { ok: true, url: withPath(`http://${hostPart(address)}`, path), host, shown: `Ingress ${withAddress.metadata?.name}: http://${shownHost}${path} via the ingress controller at ${address}`, objects: [withAddress] };
}

/** Whether an Ingress rule's host serves a request's Host (a leading `*.` matches exactly one label, as Kubernetes defines it). */
export function hostMatches(ruleHost: string, host: string): boolean {
  if (!ruleHost.startsWith('*.')) return ruleHost === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === ruleHost.slice(1);
}
