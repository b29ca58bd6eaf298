/**
 * The sandbox policy: what a submission may not ask for. It judges what will run — compose-go's
 * normalized Compose model (merge keys, interpolation and short syntax already applied) and
 * BuildKit's reading of a Dockerfile — never the text as written. Each violation names the field
 * path (services.<name>.<field>…) so it can be located in the original file.
 */
import type { ComposeModel, DockerfileResult } from '@kadai/reference-parsers';

export interface Violation {
  path: Array<string | number>;
  message: string;
}

const DENIED_KEYS: Record<string, string> = {
  privileged: 'privileged containers are not allowed',
  cap_add: 'adding capabilities is not allowed',
  devices: 'host devices are not allowed',
  device_cgroup_rules: 'device cgroup rules are not allowed',
  gpus: 'GPUs are not allowed',
  security_opt: 'changing security options is not allowed',
  userns_mode: 'changing the user namespace is not allowed',
  cgroup_parent: 'choosing the cgroup parent is not allowed',
  sysctls: 'setting kernel parameters is not allowed',
  runtime: 'choosing the container runtime is not allowed',
  volumes_from: "mounting another container's volumes is not allowed",
  use_api_socket: "the Docker engine's socket is not available to containers",
  label_file: 'label_file is not supported',
  provider: 'provider services run programs on the host and are not allowed',
  secrets: 'secrets are not supported',
  configs: 'configs are not supported',
};

const DENIED_BUILD_KEYS: Record<string, string> = {
  additional_contexts: 'additional build contexts are not allowed; build from the submitted files',
  dockerfile_inline: 'dockerfile_inline is not supported: submit the Dockerfile as a file',
  ssh: 'SSH agents are not available to builds',
  secrets: 'build secrets are not supported',
  entitlements: 'build entitlements are not allowed',
  privileged: 'privileged builds are not allowed',
};

/**
 * Images kadai builds for attempts are tagged `kadai-<submission>-<service>` on the engine and pass
 * through kadai's registry as `kadai-attempts/…` (buildkit/transfer.ts): another attempt must not
 * run or build FROM them (they hold other students' work), under any registry host.
 */
export function reservedImage(ref: string): boolean {
  const name = ref.trim();
  // index.docker.io is Docker Hub's legacy name: the engine normalizes it to docker.io, then to the local name.
  // A first component with a dot or a colon, or localhost, is a registry host (127.0.0.1:5000).
  // A bare hex string (or sha256:…) is taken by the engine as an image ID prefix: any image on it, another attempt's too.
  return /^((index\.)?docker\.io\/)?(library\/)?kadai-/i.test(name) || /^([^/]*[.:][^/]*|localhost)\/kadai-attempts\//i.test(name) || /^(sha256:)?[0-9a-f]{1,64}$/i.test(name);
}
export const RESERVED_IMAGE_MESSAGE = "images named kadai-… (kadai's own attempt images) and image IDs cannot be used: name an image, such as nginx:1.25";

const NAMESPACE_KEYS = ['pid', 'ipc', 'uts', 'cgroup'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSet = (v: unknown) => v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0) && !(isObject(v) && Object.keys(v).length === 0);

/** A normalized (long syntax) volume entry of a service → a violation or nothing. */
function volumeViolation(entry: Record<string, unknown>): string | undefined {
  const type = typeof entry.type === 'string' ? entry.type : 'volume';
  const source = typeof entry.source === 'string' ? entry.source : undefined;
  if (source?.includes('docker.sock')) return 'mounting the Docker socket is not allowed';
  if (type === 'bind') return `bind mounts of host paths are not allowed ("${source ?? ''}"); use a named volume`;
  if (type !== 'volume') return `volume type "${type}" is not allowed; use a named volume`;
  return undefined;
}

/** compose-go writes folders of the submission as `.` or `./…`; anything else is remote or outside. */
const inSubmission = (p: unknown) => typeof p === 'string' && (p === '.' || (p.startsWith('./') && !p.split('/').includes('..')));

/** BuildKit reads BUILDKIT_SYNTAX and other BUILDKIT_* build args as instructions to itself (a frontend image to pull). */
export const buildArgViolation = (name: string) => (/^BUILDKIT_/i.test(name) ? `build argument ${name} is an instruction to BuildKit and is not allowed` : undefined);

function buildViolations(build: Record<string, unknown>, at: (...p: Array<string | number>) => Array<string | number>): Violation[] {
  const out: Violation[] = [];
  if (!inSubmission(build.context)) out.push({ path: at('build', 'context'), message: `the build context must be a folder of the submission, not "${String(build.context)}"` });
  if (typeof build.dockerfile === 'string' && (build.dockerfile.startsWith('/') || build.dockerfile.split('/').includes('..'))) {
    out.push({ path: at('build', 'dockerfile'), message: 'the Dockerfile must be a file inside the build context' });
  }
  if (build.network === 'host') out.push({ path: at('build', 'network'), message: 'build network host is not allowed' });
  for (const [key, message] of Object.entries(DENIED_BUILD_KEYS)) if (isSet(build[key])) out.push({ path: at('build', key), message });
  if (isObject(build.args)) {
    for (const name of Object.keys(build.args)) {
      const problem = buildArgViolation(name);
      if (problem) out.push({ path: at('build', 'args', name), message: problem });
    }
  }
  return out;
}

export function serviceViolations(name: string, service: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const at = (...path: Array<string | number>) => ['services', name, ...path];
  for (const [key, message] of Object.entries(DENIED_KEYS)) if (isSet(service[key])) out.push({ path: at(key), message });
  for (const key of NAMESPACE_KEYS) {
    if (isSet(service[key])) out.push({ path: at(key), message: `${key}: ${String(service[key])} is not allowed; containers keep their own namespaces` });
  }
  if (typeof service.image === 'string' && reservedImage(service.image)) out.push({ path: at('image'), message: RESERVED_IMAGE_MESSAGE });
  const mode = service.network_mode;
  if (typeof mode === 'string' && (mode === 'host' || mode.startsWith('container:') || mode.startsWith('service:'))) {
    out.push({ path: at('network_mode'), message: `network_mode: ${mode} is not allowed; services run on the attempt's own network` });
  }
  if (Array.isArray(service.volumes)) {
    service.volumes.forEach((v, i) => {
      const problem = isObject(v) ? volumeViolation(v) : 'unreadable volume entry';
      if (problem) out.push({ path: at('volumes', i), message: problem });
    });
  }
  if (isObject(service.build)) out.push(...buildViolations(service.build, at));
  return out;
}

/** Top level: no include, kadai's own volumes and networks only (not external or driver-backed). */
export function topLevelViolations(model: Record<string, unknown>, include: unknown[] = []): Violation[] {
  const out: Violation[] = [];
  if (include.length > 0) out.push({ path: ['include'], message: 'include is not supported: put every service in this one file' });
  for (const section of ['secrets', 'configs'] as const) if (isSet(model[section])) out.push({ path: [section], message: `${section} are not supported` });
  for (const section of ['volumes', 'networks'] as const) {
    const entries = model[section];
    if (!isObject(entries)) continue;
    for (const [name, def] of Object.entries(entries)) {
      if (!isObject(def)) continue;
      if (def.external) out.push({ path: [section, name, 'external'], message: `external ${section} are not allowed` });
      if (def.driver && def.driver !== 'local' && def.driver !== 'bridge') out.push({ path: [section, name, 'driver'], message: `the ${String(def.driver)} driver is not allowed` });
      if (isSet(def.driver_opts)) out.push({ path: [section, name, 'driver_opts'], message: 'driver options are not allowed (a local volume with driver_opts can bind a host path)' });
    }
  }
  return out;
}

/** The whole normalized Compose model. */
export function composeViolations(model: ComposeModel, include?: unknown[]): Violation[] {
  const out = topLevelViolations(model, include);
  for (const [name, svc] of Object.entries(model.services ?? {})) out.push(...serviceViolations(name, svc));
  return out;
}

/** A Dockerfile violation: the line and the instruction it is about. */
export interface DockerfileViolation {
  line: number;
  field: string;
  message: string;
}

/**
 * `# syntax=` lines that name the stable Dockerfile syntax 1 (`docker/dockerfile:1`, `:1.7`,
 * `:1.7.1`, with or without `docker.io/`): kadai's buildkitd builds them with its built-in frontend
 * (the same module version's dockerfile frontend) and pulls nothing; Docker users write them to get
 * heredocs and RUN --mount on older Docker. Labs, upstream or other images would be pulled.
 */
const BUILTIN_FRONTEND = /^(docker\.io\/)?docker\/dockerfile:1(\.\d+){0,2}$/;

/**
 * A Dockerfile as BuildKit reads it: no frontend from a registry (`# syntax=` other than the
 * built-in one and those kadai provides), no attempt image as a base or a source (ARGs expanded), no host network,
 * insecure mode or devices for RUN.
 */
export function dockerfileViolations(facts: DockerfileResult, allowedFrontends: readonly string[]): DockerfileViolation[] {
  const out: DockerfileViolation[] = [];
  if (facts.syntax && !BUILTIN_FRONTEND.test(facts.syntax.value) && !allowedFrontends.includes(facts.syntax.value)) {
    const allowed = ['docker/dockerfile:1', ...allowedFrontends].join(', ');
    out.push({ line: facts.syntax.line, field: '# syntax', message: `kadai builds with BuildKit's built-in Dockerfile frontend (Dockerfile syntax 1, with heredocs and RUN --mount) and fetches no other: remove the syntax directive or use ${allowed} (not ${facts.syntax.value})` });
  }
  for (const stage of facts.stages) {
    if (stage.fromStage < 0 && reservedImage(stage.base)) out.push({ line: stage.line, field: 'FROM', message: `${RESERVED_IMAGE_MESSAGE} (FROM ${stage.written} is ${stage.base})` });
  }
  for (const source of facts.sources) {
    const field = source.instruction === 'COPY' ? 'COPY --from' : 'RUN --mount from';
    if (source.from.includes('$')) out.push({ line: source.line, field, message: `variables are not expanded in ${field} (${source.from}): name a stage or an image` });
    else if (source.fromStage < 0 && reservedImage(source.from)) out.push({ line: source.line, field, message: RESERVED_IMAGE_MESSAGE });
  }
  for (const run of facts.runOptions) {
    if (run.network === 'host') out.push({ line: run.line, field: 'RUN --network', message: 'RUN --network=host is not allowed' });
    if (run.security === 'insecure') out.push({ line: run.line, field: 'RUN --security', message: 'RUN --security=insecure is not allowed' });
    if (run.devices && run.devices.length > 0) out.push({ line: run.line, field: 'RUN --device', message: 'host devices are not allowed in builds' });
  }
  return out;
}
