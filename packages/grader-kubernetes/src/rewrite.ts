import type { KubernetesObject } from '@kubernetes/client-node';
import type { VettedObject } from '@kadai/k8s-vetting';
import { createHash } from 'node:crypto';
import type { Stage } from './stages';

/**
 * Names that are cluster-wide although the objects holding them are namespaced: two attempts of the
 * same lab graded at once would collide on them (the second Service's `nodePort: 30080` is refused
 * as "provided port is already allocated"; two host-less Ingress rules on the shared ingress
 * controller shadow each other). Before applying, kadai makes them unique per attempt:
 *
 * - a Service's fixed `nodePort` (and `healthCheckNodePort`) inside the cluster's NodePort range is
 *   dropped, so the API server allocates a free one — which is also what a later stage re-applying
 *   the Service keeps (server-side apply leaves a field it did not set alone). A port outside the
 *   range is left for the API server to refuse, as any cluster would;
 * - a fixed `loadBalancerIP` is dropped (each Service gets its own address anyway);
 * - every Ingress host gets the attempt's suffix (`shop.example.com` → `shop.example.com.<ns>.<domain>`,
 *   a host-less rule gets `<ns>.<domain>`), and `spec.defaultBackend` (a catch-all on the shared
 *   controller) becomes a rule for the host-less name. Wildcards stay wildcards: `*.example.com`
 *   → `*.example.com.<ns>.<domain>` matches exactly the rewritten `a.example.com`.
 *
 * The checks follow the rewritten values (`http` reads the live Service, or maps the lab's Ingress
 * host with `attemptIngressHost`); the student's declared values stay checkable in the submitted
 * objects, and each rewritten object says what was changed in the annotation `REWRITE_ANNOTATION`.
 * Pure: the objects passed in are not modified.
 */
export interface AttemptNames {
  /** The attempt's namespace: what makes a name unique. */
  namespace: string;
  /** The cluster's Service NodePort range (kube-apiserver --service-node-port-range). */
  nodePortRange?: { min: number; max: number };
  /** Domain below which Ingress hosts are made unique ("kadai.invalid": never resolvable, routed by Host header only). */
  ingressDomain?: string;
}

export const DEFAULT_NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
export const DEFAULT_INGRESS_DOMAIN = 'kadai.invalid';
export const REWRITE_ANNOTATION = 'kadai.dev/rewritten-for-attempt';

/** One change: the object, the field (a path as kubectl's JSONPath would name it), what was submitted and what is applied (absent: dropped, the cluster chooses). */
export interface Rewrite {
  object: string;
  field: string;
  submitted: unknown;
  applied?: unknown;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_HOST = 253;

/** A host Kubernetes accepts on an Ingress rule: a DNS subdomain, optionally under one leading `*.` label. */
const VALID_HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The host an Ingress rule of this attempt is served under (`undefined`: a rule without a host). */
export function attemptIngressHost(host: string | undefined, names: AttemptNames): string {
  const suffix = `${names.namespace}.${names.ingressDomain ?? DEFAULT_INGRESS_DOMAIN}`;
  if (host === undefined || host === '') return suffix;
  const long = `${host}.${suffix}`;
  if (long.length <= MAX_HOST) return long;
  // too long for DNS with the suffix: a stable short stand-in (keeping a leading wildcard)
  const wildcard = host.startsWith('*.');
  const digest = createHash('sha256').update(host).digest('hex').slice(0, 16);
  return `${wildcard ? '*.' : ''}h-${digest}.${suffix}`;
}

/** Returns the objects as they are applied for this attempt, and every change made. */
export function makeUniquePerAttempt<T extends KubernetesObject>(objects: readonly T[], names: AttemptNames): { objects: T[]; rewrites: Rewrite[] } {
  const rewrites: Rewrite[] = [];
  const out = objects.map((original) => {
    const object = structuredClone(original);
    const label = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
    const changes: Rewrite[] = [];
    const note = (field: string, submitted: unknown, applied?: unknown) => changes.push({ object: label, field, submitted, ...(applied !== undefined ? { applied } : {}) });
    if (object.kind === 'Service' && isRecord((object as Json).spec)) rewriteService((object as Json).spec as Json, names, note);
    if (object.kind === 'Ingress' && isRecord((object as Json).spec)) rewriteIngress((object as Json).spec as Json, names, note);
    if (changes.length === 0) return object;
    rewrites.push(...changes);
    object.metadata = { ...object.metadata, annotations: { ...object.metadata?.annotations, [REWRITE_ANNOTATION]: JSON.stringify(changes.map(({ object: _o, ...c }) => c)) } };
    return object;
  });
  return { objects: out, rewrites };
}

type Note = (field: string, submitted: unknown, applied?: unknown) => void;

function rewriteService(spec: Json, names: AttemptNames, note: Note): void {
  const range = names.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  const inRange = (p: unknown): boolean => typeof p === 'number' && Number.isInteger(p) && p >= range.min && p <= range.max;
  if (Array.isArray(spec.ports)) {
    spec.ports.forEach((port: unknown, i) => {
      if (isRecord(port) && inRange(port.nodePort)) {
        note(`spec.ports[${i}].nodePort`, port.nodePort);
        delete port.nodePort;
      }
    });
  }
  if (inRange(spec.healthCheckNodePort)) {
    note('spec.healthCheckNodePort', spec.healthCheckNodePort);
    delete spec.healthCheckNodePort;
  }
  if (typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP !== '') {
    note('spec.loadBalancerIP', spec.loadBalancerIP);
    delete spec.loadBalancerIP;
  }
}

function rewriteIngress(spec: Json, names: AttemptNames, note: Note): void {
  const rules: unknown[] = Array.isArray(spec.rules) ? spec.rules : [];
  rules.forEach((rule, i) => {
    if (!isRecord(rule)) return;
    const host = typeof rule.host === 'string' ? rule.host : undefined;
    // a host Kubernetes would refuse stays as written: the dry run refuses it as any cluster would
    if (host !== undefined && host !== '' && !VALID_HOST.test(host)) return;
    rule.host = attemptIngressHost(host, names);
    note(`spec.rules[${i}].host`, host ?? null, rule.host);
  });
  if (isRecord(spec.defaultBackend)) {
    // a default backend catches every request the shared controller has no rule for (other
    // attempts' too): served instead for the attempt's host-less name, at every path
    const backend = spec.defaultBackend;
    delete spec.defaultBackend;
    const host = attemptIngressHost(undefined, names);
    rules.push({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } });
    spec.rules = rules;
    note('spec.defaultBackend', backend, `spec.rules[${rules.length - 1}] (host ${host}, path /)`);
  }
  if (Array.isArray(spec.tls)) {
    spec.tls.forEach((tls: unknown, i) => {
      if (!isRecord(tls) || !Array.isArray(tls.hosts)) return;
      const hosts = tls.hosts.map((h: unknown) => (typeof h === 'string' && VALID_HOST.test(h) ? attemptIngressHost(h, names) : h));
      note(`spec.tls[${i}].hosts`, tls.hosts, hosts);
      tls.hosts = hosts;
    });
  }
}

/** Every stage of an attempt as it is applied (its files and the files its commands apply); the student's objects stay in `submitted`. */
export function uniquePerAttempt(stages: ReadonlyMap<string, Stage>, names: AttemptNames): Map<string, Stage> {
  const applied = (list: readonly VettedObject[]): VettedObject[] => {
    const { objects } = makeUniquePerAttempt(
      list.map((v) => v.object),
      names,
    );
    return list.map((v, i) => ({ ...v, object: objects[i]! }));
  };
  return new Map(
    [...stages].map(([id, stage]) => [id, { ...stage, objects: applied(stage.objects), commandFiles: new Map([...stage.commandFiles].map(([file, list]) => [file, applied(list)])), submitted: stage.submitted }]),
  );
}
