import { isInternalAddress, isInternalName } from './addresses';
import { CLUSTER_SCOPED_KINDS, POD_SPEC_PATHS, REFUSED_KINDS, REPLICATED_KINDS } from './kinds';
import type { FieldPath } from './locate';
import type { LabPolicy } from './policy';
import { checkPodSpec, list } from './pod-spec';
import { isRecord, valueAt, type Report } from './report';
import { checkPersistentVolume } from './volumes';

/**
 * The per-object rules: kind, namespace, annotations, the Pod template, replicas and what a
 * Service, Endpoints or Ingress points at. Quota totals across objects are in quota.ts.
 */
/** The attempt's namespace, the course's other namespaces (`team1`) it may name, and a stage's `-n`. */
export interface NamespacesAllowed {
  own: string;
  course: ReadonlyMap<string, string>;
  stageDefault?: string | undefined;
}

export function checkObject(object: Record<string, unknown>, policy: LabPolicy, namespaces: NamespacesAllowed, report: Report): void {
  const kind = object.kind;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  // the course's `kubectl create ns team1` as a manifest: kadai made that namespace for the attempt
  if (kind === 'Namespace' && typeof metadata.name === 'string' && namespaces.course.has(metadata.name)) return;
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '') report(['apiVersion'], 'apiVersion is missing');
  if (typeof kind !== 'string' || kind === '') {
    report(['kind'], 'kind is missing');
    return;
  }
  const refused = REFUSED_KINDS[kind];
  if (refused) report(['kind'], refused);
  else if (kind === 'PersistentVolume' && policy.persistentVolumes) checkPersistentVolume(object, policy.persistentVolumes, report);
  else if (CLUSTER_SCOPED_KINDS.has(kind)) report(['kind'], `${kind} is cluster-scoped: a submission may only create objects in the attempt's namespace`);
  else if (!policy.allowedKinds.includes(kind)) report(['kind'], `${kind} is not used in this lab; allowed kinds: ${policy.allowedKinds.join(', ')}`);

  if (typeof metadata.name !== 'string' || metadata.name === '') report(['metadata', 'name'], 'metadata.name is missing (kadai applies objects by name)');
  const ns = metadata.namespace;
  const course = [...namespaces.course.keys()];
  if (ns !== undefined && ns !== 'default' && ns !== namespaces.own && !namespaces.course.has(String(ns))) {
    const others = course.length ? ` or one of this lab's namespaces (${course.join(', ')})` : '';
    report(['metadata', 'namespace'], `namespace "${String(ns)}" is not allowed: leave metadata.namespace out (or "default")${others}; objects go to the attempt's namespace`);
  }
  if (kind === 'ResourceQuota' || kind === 'LimitRange') checkResourcePolicy(kind, metadata, namespaces, report);
  checkAnnotations(metadata.annotations, report);

  if (kind === 'Secret' && object.type === 'kubernetes.io/service-account-token') report(['type'], 'ServiceAccount token Secrets are not accepted');
  if (kind === 'Secret') checkSecretData(object.data, report);
  const podSpec = POD_SPEC_PATHS[kind];
  if (podSpec) checkPodSpec(valueAt(object, podSpec), podSpec, policy.allowedImages, report);
  checkReplicas(object, kind, policy.quota.maxReplicas, report);
  if (kind === 'Service') checkService(object, report);
  if (kind === 'Endpoints') checkEndpoints(object, report);
  if (kind === 'EndpointSlice') checkEndpointSlice(object, report);
  if (kind === 'Ingress') checkIngress(object, report);
}

/**
 * A student's ResourceQuota or LimitRange (chapter 7): only in the lab's own namespace (`team1`),
 * where the attempt's Role grants them, and never under kadai's names (its own quota is there too).
 */
function checkResourcePolicy(kind: string, metadata: Record<string, unknown>, namespaces: NamespacesAllowed, report: Report): void {
  if (typeof metadata.name === 'string' && metadata.name.startsWith('kadai-')) report(['metadata', 'name'], `the name "${metadata.name}" is kadai's own (its guards): choose another`);
  const ns = typeof metadata.namespace === 'string' ? metadata.namespace : namespaces.stageDefault;
  if (ns === undefined || !namespaces.course.has(ns)) {
    const where = namespaces.course.size ? `metadata.namespace: ${[...namespaces.course.keys()].join(' or ')}` : 'a namespace of the lab';
    report(['metadata', 'namespace'], `a ${kind} of this lab belongs in the lab's own namespace (${where}), not the attempt's default one`);
  }
}

/**
 * Ingress hosts (host-less rules, `*.example.com`, defaultBackend) and fixed nodePorts are shared by
 * every attempt but kept as data: the grader makes them unique per attempt (grader-kubernetes
 * rewrite.ts). A wildcard other than one leading `*.` label (`*` alone claims every host) is no host
 * Kubernetes accepts: refused here, with its place.
 */
function checkIngress(ingress: Record<string, unknown>, report: Report): void {
  const spec = isRecord(ingress.spec) ? ingress.spec : {};
  list(spec.rules).forEach((rule, r) => {
    if (!isRecord(rule) || typeof rule.host !== 'string' || !rule.host.includes('*')) return;
    if (!/^\*\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rule.host)) {
      report(['spec', 'rules', r, 'host'], `the wildcard host "${rule.host}" claims every host; name a host, or one leading wildcard label ("*.example.com")`);
    }
  });
}

/** `data` values are base64 (kubectl refuses anything else before sending; the API server answers 500); plain text goes in `stringData`. */
function checkSecretData(data: unknown, report: Report): void {
  if (!isRecord(data)) return;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      report(['data', key], 'Secret data values must be base64 (write plain text under stringData instead)');
    }
  }
}

/** Ingress controllers paste `*-snippet` annotations into their own configuration (CVE-2021-25742 and kin). */
function checkAnnotations(annotations: unknown, report: Report): void {
  if (!isRecord(annotations)) return;
  for (const key of Object.keys(annotations)) {
    if (/snippet/i.test(key)) report(['metadata', 'annotations', key], `the annotation ${key} is not allowed: it injects configuration into the shared ingress controller`);
  }
}

function checkReplicas(object: Record<string, unknown>, kind: string, max: number, report: Report): void {
  const fields: FieldPath[] = [];
  if (REPLICATED_KINDS.has(kind)) fields.push(['spec', 'replicas']);
  if (kind === 'HorizontalPodAutoscaler') fields.push(['spec', 'maxReplicas']);
  if (kind === 'Job') fields.push(['spec', 'parallelism']);
  if (kind === 'CronJob') fields.push(['spec', 'jobTemplate', 'spec', 'parallelism']);
  for (const path of fields) {
    const value = valueAt(object, path);
    if (value === undefined) continue;
    // "5" is a schema error the dry run would report; saying so here is clearer and costs nothing
    if (typeof value !== 'number' || !Number.isInteger(value)) report(path, `${String(path[path.length - 1])} must be a whole number, not ${JSON.stringify(value)}`);
    else if (value > max) report(path, `${value} replicas are more than this lab allows (${max})`);
  }
}

function checkService(service: Record<string, unknown>, report: Report): void {
  const spec = isRecord(service.spec) ? service.spec : {};
  // any externalIP lets a Service capture traffic to that address cluster-wide (CVE-2020-8554)
  if (list(spec.externalIPs).length > 0) report(['spec', 'externalIPs'], 'externalIPs are not allowed: they capture traffic to those addresses for the whole cluster');
  if (spec.type === 'ExternalName' && typeof spec.externalName === 'string' && isInternalName(spec.externalName)) {
    report(['spec', 'externalName'], `externalName "${spec.externalName}" points inside the cluster or at the node; name a host outside it`);
  }
}

function checkEndpoints(endpoints: Record<string, unknown>, report: Report): void {
  list(endpoints.subsets).forEach((subset, s) => {
    if (!isRecord(subset)) return;
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      list(subset[field]).forEach((address, a) => {
        if (isRecord(address) && typeof address.ip === 'string' && isInternalAddress(address.ip)) {
          report(['subsets', s, field, a, 'ip'], `the address ${address.ip} is inside the cluster or link-local; Endpoints may only point outside it`);
        }
      });
    }
  });
}

function checkEndpointSlice(slice: Record<string, unknown>, report: Report): void {
  list(slice.endpoints).forEach((endpoint, e) => {
    if (!isRecord(endpoint)) return;
    list(endpoint.addresses).forEach((address, a) => {
      if (typeof address === 'string' && isInternalAddress(address)) {
        report(['endpoints', e, 'addresses', a], `the address ${address} is inside the cluster or link-local; an EndpointSlice may only point outside it`);
      }
    });
  });
}
