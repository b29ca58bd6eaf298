import type { InputIssue } from '@kadai/errors';
import { logicalLines, tokenize } from '@kadai/command-line';
import type { PortSpec, RestartPolicyName, ServiceSpec, VolumeMount } from './model';
import { RESERVED_IMAGE_MESSAGE, reservedImage } from './policy';

/**
 * `docker run` command lines from a text file, read as data: tokenized like a shell would (quotes,
 * escapes) but never run by one, then parsed into an allow-listed set of flags. Anything outside the
 * list, and every shell feature (pipes, `;`, `$VAR`, globs), rejects the file naming the line.
 */

/** Commands a student may keep in the file from the course's steps; they change nothing and are skipped. */
const IGNORED_COMMANDS = new Set(['pull', 'ps', 'images', 'image', 'logs', 'inspect', 'exec', 'attach', 'stop', 'rm', 'version', 'info']);

type FlagKind = 'bool' | 'value';
/** The flags kadai understands; `ignored` ones are accepted but have no effect (kadai sets its own limits). */
const FLAGS: Record<string, { kind: FlagKind; ignored?: boolean }> = {
  '-d': { kind: 'bool' }, '--detach': { kind: 'bool' },
  '-i': { kind: 'bool', ignored: true }, '--interactive': { kind: 'bool', ignored: true },
  '-t': { kind: 'bool', ignored: true }, '--tty': { kind: 'bool', ignored: true },
  '--rm': { kind: 'bool', ignored: true }, '--init': { kind: 'bool', ignored: true },
  '-p': { kind: 'value' }, '--publish': { kind: 'value' },
  '--name': { kind: 'value' },
  '-e': { kind: 'value' }, '--env': { kind: 'value' },
  '--restart': { kind: 'value' },
  '-v': { kind: 'value' }, '--volume': { kind: 'value' },
  '--mount': { kind: 'value' },
  '-w': { kind: 'value' }, '--workdir': { kind: 'value' },
  '--entrypoint': { kind: 'value' },
  '-u': { kind: 'value' }, '--user': { kind: 'value' },
  '--hostname': { kind: 'value', ignored: true }, '-h': { kind: 'value', ignored: true },
  '--label': { kind: 'value', ignored: true }, '-l': { kind: 'value', ignored: true },
  '-m': { kind: 'value', ignored: true }, '--memory': { kind: 'value', ignored: true },
  '--cpus': { kind: 'value', ignored: true },
  '--network': { kind: 'value' }, '--net': { kind: 'value' },
};

/** Flags refused by the sandbox policy, with the reason a student reads. */
const DENIED: Record<string, string> = {
  '--privileged': 'privileged containers are not allowed',
  '--cap-add': 'adding capabilities is not allowed',
  '--device': 'host devices are not allowed',
  '--pid': 'sharing a PID namespace (e.g. the host\'s) is not allowed',
  '--ipc': 'sharing an IPC namespace (e.g. the host\'s) is not allowed',
  '--uts': 'sharing the host UTS namespace is not allowed',
  '--userns': 'changing the user namespace is not allowed',
  '--security-opt': 'changing security options is not allowed',
  '--cgroup-parent': 'choosing the cgroup parent is not allowed',
  '--cgroupns': 'sharing a cgroup namespace is not allowed',
  '--volumes-from': 'mounting another container\'s volumes is not allowed',
  '--sysctl': 'setting kernel parameters is not allowed',
  '--runtime': 'choosing the container runtime is not allowed',
  '--device-cgroup-rule': 'device cgroup rules are not allowed',
};

export class RunFileError extends Error {
  constructor(readonly issues: InputIssue[]) {
    super(issues.map((i) => i.message).join('; '));
  }
}

const PORT = /^(?:(?<ip>\[[0-9a-f:]+\]|\d+\.\d+\.\d+\.\d+):)?(?:(?<host>\d{1,5})?:)?(?<container>\d{1,5})(?:\/(?<proto>tcp|udp))?$/i;

export function parsePort(value: string): PortSpec | string {
  const m = PORT.exec(value);
  if (!m?.groups) return `"${value}" is not a port mapping (host:container, e.g. 8080:80)`;
  const container = Number(m.groups.container);
  const host = m.groups.host ? Number(m.groups.host) : undefined;
  if (container < 1 || container > 65535 || (host !== undefined && (host < 1 || host > 65535))) return `port out of range in "${value}"`;
  return { container, ...(host !== undefined ? { host } : {}), protocol: (m.groups.proto?.toLowerCase() as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A `-v` value: only named volumes; anything that names a host path is a bind mount and refused. */
export function parseVolume(value: string): VolumeMount | string {
  const parts = value.split(':');
  if (parts.length === 1) return `anonymous volumes need a name here: use name:${value}`;
  const [source = '', target = '', mode] = parts;
  if (source.includes('docker.sock')) return 'mounting the Docker socket is not allowed';
  if (!VOLUME_NAME.test(source)) return `bind mounts of host paths are not allowed ("${source}"); use a named volume (name:${target})`;
  if (!target.startsWith('/')) return `the volume target must be an absolute path in the container ("${target}")`;
  if (mode !== undefined && !/^(ro|rw)$/.test(mode)) return `unsupported volume mode "${mode}"`;
  return { volume: source, target, readOnly: mode === 'ro' };
}

function parseMount(value: string): VolumeMount | string {
  const fields = new Map(value.split(',').map((kv) => [kv.split('=')[0]?.trim() ?? '', kv.split('=').slice(1).join('=')] as const));
  const type = fields.get('type') ?? 'volume';
  if (type !== 'volume') return `--mount type=${type} is not allowed; only named volumes (type=volume)`;
  const source = fields.get('source') ?? fields.get('src') ?? '';
  const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination') ?? '';
  return parseVolume(`${source}:${target}${fields.has('readonly') || fields.has('ro') ? ':ro' : ''}`);
}

export function parseRestart(value: string): { restart: RestartPolicyName; maxRetries?: number } | string {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(value);
  if (!m) return `unknown restart policy "${value}" (no, always, on-failure[:n], unless-stopped)`;
  return { restart: m[1] as RestartPolicyName, ...(m[2] ? { maxRetries: Number(m[2]) } : {}) };
}

/** Parses the words after `docker run` into a service. Returns issues instead of throwing. */
export function parseRunWords(words: string[], file: string, line: number, index: number): { service?: ServiceSpec; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ file, line, field, message });
  const service: ServiceSpec = { name: `run${index}`, env: {}, ports: [], restart: 'no', volumes: [], dependsOn: [], where: { file, line } };
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') break;
    if (word === '--') {
      i++;
      break;
    }
    let flag = word;
    let value: string | undefined;
    const eq = word.indexOf('=');
    if (word.startsWith('--') && eq > 0) {
      flag = word.slice(0, eq);
      value = word.slice(eq + 1);
    } else if (/^-[a-zA-Z]{2,}$/.test(word)) {
      // combined short flags: -it, -dit
      const letters = word.slice(1).split('').map((c) => `-${c}`);
      const bad = letters.filter((l) => FLAGS[l]?.kind !== 'bool');
      if (bad.length > 0) issue(word, `"${word}": combine only on/off flags (${bad.join(', ')} takes a value)`);
      continue;
    }
    if (DENIED[flag]) {
      issue(flag, DENIED[flag]!);
      if (FLAGS[flag]?.kind !== 'bool' && value === undefined && flag !== '--privileged') i++;
      continue;
    }
    const known = FLAGS[flag];
    if (!known) {
      issue(flag, `the flag ${flag} is not allowed here; allowed: ${Object.keys(FLAGS).filter((f) => f.startsWith('--')).join(' ')}`);
      continue;
    }
    if (known.kind === 'value' && value === undefined) {
      value = words[++i];
      if (value === undefined) {
        issue(flag, `${flag} needs a value`);
        break;
      }
    }
    if (known.ignored || value === undefined) continue;
    switch (flag) {
      case '-p':
      case '--publish': {
        const port = parsePort(value);
        if (typeof port === 'string') issue(flag, port);
        else service.ports.push(port);
        break;
      }
      case '--name':
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) issue(flag, `invalid container name "${value}"`);
        else service.name = value;
        break;
      case '-e':
      case '--env': {
        const k = value.indexOf('=');
        if (k <= 0) issue(flag, `write -e NAME=value ("${value}" would copy a variable from the host)`);
        else service.env[value.slice(0, k)] = value.slice(k + 1);
        break;
      }
      case '--restart': {
        const r = parseRestart(value);
        if (typeof r === 'string') issue(flag, r);
        else Object.assign(service, r);
        break;
      }
      case '-v':
      case '--volume':
      case '--mount': {
        const v = flag === '--mount' ? parseMount(value) : parseVolume(value);
        if (typeof v === 'string') issue(flag, v);
        else service.volumes.push(v);
        break;
      }
      case '-w':
      case '--workdir':
        service.workingDir = value;
        break;
      case '--entrypoint':
        service.entrypoint = [value];
        break;
      case '-u':
      case '--user':
        service.user = value;
        break;
      case '--network':
      case '--net':
        if (value === 'host' || value.startsWith('container:')) issue(flag, `--network ${value} is not allowed; containers run on the attempt's own network`);
        break;
    }
  }
  const image = words[i];
  if (image === undefined) issue('image', 'no image named after the flags');
  else if (reservedImage(image)) issue('image', RESERVED_IMAGE_MESSAGE);
  else {
    service.image = image;
    const rest = words.slice(i + 1);
    if (rest.length > 0) service.command = rest;
  }
  return issues.length > 0 ? { issues } : { service, issues };
}

/** Parses a whole run file: `docker run` lines become services; harmless commands are skipped. */
export function parseRunFile(file: string, text: string, maxServices: number): ServiceSpec[] {
  const issues: InputIssue[] = [];
  const services: ServiceSpec[] = [];
  for (const { line, text: cmd } of logicalLines(text)) {
    const { words, error } = tokenize(cmd, 'docker');
    if (error || !words) {
      issues.push({ file, line, message: error ?? 'cannot read this line' });
      continue;
    }
    if (words[0] !== 'docker') {
      issues.push({ file, line, field: words[0], message: `only docker commands are read from ${file}; "${words[0]}" is not one` });
      continue;
    }
    let rest = words.slice(1);
    if (rest[0] === 'container' && rest[1] === 'run') rest = rest.slice(1);
    if (rest[0] !== 'run') {
      if (!IGNORED_COMMANDS.has(rest[0] ?? '') && !(rest[0] === 'container' && IGNORED_COMMANDS.has(rest[1] ?? ''))) {
        issues.push({ file, line, field: rest[0], message: `"docker ${rest[0] ?? ''}" is not accepted here; write the docker run command that starts your container` });
      }
      continue;
    }
    const parsed = parseRunWords(rest.slice(1), file, line, services.length + 1);
    issues.push(...parsed.issues);
    if (parsed.service) services.push(parsed.service);
  }
  const names = new Set<string>();
  for (const s of services) {
    if (names.has(s.name)) issues.push({ file, line: s.where.line, field: '--name', message: `two containers named "${s.name}"` });
    names.add(s.name);
  }
  if (services.length > maxServices) issues.push({ file, message: `at most ${maxServices} docker run lines are accepted, found ${services.length}` });
  if (issues.length === 0 && services.length === 0) issues.push({ file, message: `no "docker run" line in ${file}` });
  if (issues.length > 0) throw new RunFileError(issues);
  return services;
}
