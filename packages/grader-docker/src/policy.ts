/**
 * The sandbox policy for a normalized Compose service: what a submission may not ask for. Each
 * violation names the field path (services.<name>.<field>...) so it can be located in the original file.
 */
export interface Violation {
  path: Array<string | number>;
  message: string;
}

const DENIED_KEYS: Record<string, string> = {
  privileged: 'privileged containers are not allowed',
  cap_add: 'adding capabilities is not allowed',
  devices: 'host devices are not allowed',
  device_cgroup_rules: 'device cgroup rules are not allowed',
  security_opt: 'changing security options is not allowed',
  userns_mode: 'changing the user namespace is not allowed',
  cgroup_parent: 'choosing the cgroup parent is not allowed',
  sysctls: 'setting kernel parameters is not allowed',
  runtime: 'choosing the container runtime is not allowed',
  volumes_from: "mounting another container's volumes is not allowed",
  extends: 'extends is not supported',
};

/**
 * Images kadai builds for attempts are tagged `kadai-<submission>-<service>`: another attempt on the
 * same engine must not run or build FROM them (they hold other students' work).
 */
export function reservedImage(ref: string): boolean {
  return /^(docker\.io\/)?(library\/)?kadai-/i.test(ref.trim());
}
export const RESERVED_IMAGE_MESSAGE = "images named kadai-… are kadai's own attempt images and cannot be used";

const NAMESPACE_KEYS = ['pid', 'ipc', 'uts', 'cgroup'] as const;

/** A relative path that stays inside the submission folder (no `$`: interpolation could make it anything). */
export function insideSubmission(file: string): boolean {
  return file !== '' && !file.includes('$') && !file.startsWith('/') && !file.startsWith('~') && !/^[a-zA-Z]:/.test(file) && !file.split(/[\\/]/).includes('..');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One volume entry of a service (string short form or long form) → a violation or nothing. */
function volumeViolation(entry: unknown): string | undefined {
  let type: string | undefined;
  let source: string | undefined;
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    source = parts.length > 1 ? parts[0] : undefined;
    type = source === undefined ? 'volume' : /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source) ? 'volume' : 'bind';
  } else if (isObject(entry)) {
    type = typeof entry.type === 'string' ? entry.type : 'volume';
    source = typeof entry.source === 'string' ? entry.source : undefined;
  } else return 'unreadable volume entry';
  if (source?.includes('docker.sock')) return 'mounting the Docker socket is not allowed';
  if (type === 'bind') return `bind mounts of host paths are not allowed ("${source ?? ''}"); use a named volume`;
  if (type !== 'volume') return `volume type "${type}" is not allowed; use a named volume`;
  return undefined;
}

export function serviceViolations(name: string, service: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const at = (...path: Array<string | number>) => ['services', name, ...path];
  for (const [key, message] of Object.entries(DENIED_KEYS)) {
    const value = service[key];
    if (value === undefined || value === null || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out.push({ path: at(key), message });
  }
  for (const key of NAMESPACE_KEYS) {
    if (service[key] !== undefined && service[key] !== null) out.push({ path: at(key), message: `${key}: ${String(service[key])} is not allowed; containers keep their own namespaces` });
  }
  if (typeof service.image === 'string' && reservedImage(service.image)) out.push({ path: at('image'), message: RESERVED_IMAGE_MESSAGE });
  const mode = service.network_mode;
  if (typeof mode === 'string' && (mode === 'host' || mode.startsWith('container:') || mode.startsWith('service:'))) {
    out.push({ path: at('network_mode'), message: `network_mode: ${mode} is not allowed; services run on the attempt's own network` });
  }
  if (Array.isArray(service.volumes)) {
    service.volumes.forEach((v, i) => {
      const problem = volumeViolation(v);
      if (problem) out.push({ path: at('volumes', i), message: problem });
    });
  }
  // Compose inlines env files into the model: one outside the submission would read the grader's host files.
  const envFiles = service.env_file === undefined || service.env_file === null ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  envFiles.forEach((entry, i) => {
    const file = isObject(entry) ? entry.path : entry;
    if (typeof file !== 'string' || !insideSubmission(file)) {
      out.push({ path: Array.isArray(service.env_file) ? at('env_file', i) : at('env_file'), message: `env_file must be a file of the submission (a relative path without .. or $), not "${String(file)}"` });
    }
  });
  const build = service.build;
  if (isObject(build)) {
    if (build.network === 'host') out.push({ path: at('build', 'network'), message: 'build network host is not allowed' });
    if (typeof build.context === 'string' && /^[a-z]+:\/\//i.test(build.context)) out.push({ path: at('build', 'context'), message: 'remote build contexts are not allowed; build from the submitted files' });
  }
  return out;
}

/** Top-level named volumes and networks must be kadai's own, not external or driver-backed. */
export function topLevelViolations(model: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  for (const section of ['volumes', 'networks'] as const) {
    const entries = model[section];
    if (!isObject(entries)) continue;
    for (const [name, def] of Object.entries(entries)) {
      if (!isObject(def)) continue;
      if (def.external) out.push({ path: [section, name, 'external'], message: `external ${section} are not allowed` });
      if (def.driver && def.driver !== 'local' && def.driver !== 'bridge') out.push({ path: [section, name, 'driver'], message: `the ${String(def.driver)} driver is not allowed` });
      if (def.driver_opts) out.push({ path: [section, name, 'driver_opts'], message: 'driver options are not allowed (a local volume with driver_opts can bind a host path)' });
    }
  }
  return out;
}
