import type { FieldPath } from './locate';
import { imageAllowed } from './images';
import { isRecord, type Report } from './report';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * The Pod-level rules: nothing of the node (network, PID and IPC namespaces, paths, ports), no
 * privileges beyond the defaults (no ServiceAccount but `default`), probes only against the Pod itself, images from the lab's list.
 * Pod Security `baseline` on the attempt's namespace refuses most of this too; vetting says so
 * before anything is applied, with the line to change.
 */
export function checkPodSpec(spec: unknown, at: FieldPath, allowedImages: readonly string[], report: Report): void {
  if (!isRecord(spec)) return;
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) report([...at, field], `${field} is not allowed: the Pod would share the node's ${field.slice(4)} namespace`);
  }
  // the attempt's own account (kadai-attempt) holds the rights kadai applies the submission with:
  // a Pod running as it would carry them at run time, past vetting; Pods run as `default`
  for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
    const account = spec[field];
    if (account !== undefined && account !== 'default') report([...at, field], `${field} "${String(account)}" is not allowed: Pods run as the namespace's default ServiceAccount`);
  }
  list(spec.volumes).forEach((volume, i) => {
    if (isRecord(volume) && volume.hostPath !== undefined) report([...at, 'volumes', i, 'hostPath'], 'hostPath volumes are not allowed: they expose the node\'s files; use emptyDir or a PersistentVolumeClaim');
  });
  for (const listName of CONTAINER_LISTS) {
    list(spec[listName]).forEach((container, i) => {
      if (isRecord(container)) checkContainer(container, [...at, listName, i], allowedImages, report);
    });
  }
}

function checkContainer(container: Record<string, unknown>, at: FieldPath, allowedImages: readonly string[], report: Report): void {
  const image = container.image;
  if (typeof image === 'string' && !imageAllowed(image, allowedImages)) {
    report([...at, 'image'], `the image "${image}" is not available in this lab; allowed: ${allowedImages.join(', ')}`);
  }
  const security = container.securityContext;
  if (isRecord(security)) {
    if (security.privileged === true) report([...at, 'securityContext', 'privileged'], 'privileged containers are not allowed');
    const capabilities = security.capabilities;
    if (isRecord(capabilities) && list(capabilities.add).length > 0) report([...at, 'securityContext', 'capabilities', 'add'], 'adding capabilities is not allowed');
  }
  list(container.ports).forEach((port, i) => {
    if (isRecord(port) && port.hostPort !== undefined && port.hostPort !== 0) {
      report([...at, 'ports', i, 'hostPort'], 'hostPort is not allowed: it opens a port on the node; use a Service');
    }
  });
  for (const probe of PROBES) checkHandler(container[probe], [...at, probe], report);
  const lifecycle = container.lifecycle;
  if (isRecord(lifecycle)) for (const hook of ['postStart', 'preStop'] as const) checkHandler(lifecycle[hook], [...at, 'lifecycle', hook], report);
}

/** A probe or hook's `host` makes the kubelet connect there from the node: only the Pod itself may be probed. */
function checkHandler(handler: unknown, at: FieldPath, report: Report): void {
  if (!isRecord(handler)) return;
  for (const action of ['httpGet', 'tcpSocket'] as const) {
    const target = handler[action];
    if (isRecord(target) && target.host !== undefined && target.host !== '') {
      report([...at, action, 'host'], `a probe may only reach its own Pod; remove host (${String(target.host)}): the kubelet would connect to it from the node`);
    }
  }
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
