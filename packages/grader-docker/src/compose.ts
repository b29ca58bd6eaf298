import { InfrastructureError, RejectedInputError, type InputIssue } from '@kadai/errors';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { locate } from '@kadai/catalog';
import type { PortSpec, Project, ServiceSpec, VolumeMount } from './model';
import { topLevelViolations, serviceViolations, type Violation } from './policy';
import { parse } from 'shell-quote';
import { parsePort, parseRestart } from './run-line';

/** Compose's default file names, in the order Compose itself looks for them. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

export function findComposeFile(files: Map<string, Buffer>): string | undefined {
  return COMPOSE_FILE_NAMES.find((name) => files.has(name));
}

const MAX_ALIASES = 100;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RawCompose {
  doc: Document;
  lineCounter: LineCounter;
  data: Record<string, unknown>;
}

function located(file: string, raw: RawCompose, violations: Violation[]): InputIssue[] {
  return violations.map((v) => ({ file, ...locate(raw.doc, raw.lineCounter, v.path), field: v.path.join('.'), message: v.message }));
}

/**
 * Reads the student's Compose file as YAML, before any Compose tool sees it: syntax, alias bombs,
 * the number of services, and the sandbox policy on the fields as written (exact lines).
 */
export function precheckCompose(file: string, text: string, maxServices: number): RawCompose {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    throw new RejectedInputError(`${file} is not valid YAML`, doc.errors.map((e) => ({ file, ...at(e.pos[0]), message: e.message.split('\n')[0] ?? e.code })));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw new RejectedInputError(`${file}: too many YAML aliases`, [{ file, line: 1, column: 1, message: `alias bomb: ${(error as Error).message}` }]);
  }
  if (!isObject(data) || !isObject(data.services)) {
    throw new RejectedInputError(`${file} has no services`, [{ file, line: 1, column: 1, field: 'services', message: 'a Compose file needs a services: mapping' }]);
  }
  const raw: RawCompose = { doc, lineCounter, data };
  const names = Object.keys(data.services);
  if (names.length === 0 || names.length > maxServices) {
    throw new RejectedInputError(`${file} declares ${names.length} services`, [
      { file, ...locate(doc, lineCounter, ['services']), field: 'services', message: `between 1 and ${maxServices} services are accepted, found ${names.length}` },
    ]);
  }
  const violations: Violation[] = [...topLevelViolations(data)];
  for (const [name, svc] of Object.entries(data.services)) {
    if (isObject(svc)) violations.push(...serviceViolations(name, svc));
  }
  if (violations.length > 0) throw new RejectedInputError(`${file} asks for what the sandbox does not allow`, located(file, raw, violations));
  return raw;
}

export interface ComposeOptions {
  /** The Compose implementation used to normalize files: Debian's docker-compose 1.29 by default. */
  composeBin: string;
  timeoutMs: number;
}

function run(bin: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      // No host environment: ${VAR} in the file must not read the worker's variables.
      { cwd, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: cwd, COMPOSE_PROJECT_NAME: 'kadai' } },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
        if (error && error.killed) return reject(new Error(`${bin} did not finish within ${timeoutMs} ms`));
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Writes the submission to a private temp dir (Compose resolves build contexts against real paths). */
async function materialize(files: Map<string, Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kadai-compose-'));
  for (const [rel, data] of files) {
    const target = path.join(dir, rel);
    if (!target.startsWith(dir + path.sep)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return dir;
}

/** `docker-compose config` keeps `$$` (a literal `$`) escaped so its output can be read again; `up` would unescape it. */
const unescapeDollars = (value: string) => value.replace(/\$\$/g, '$');

/**
 * A string command split the way Compose does (shlex: quotes and escapes, no expansion): `$VAR`
 * stays literal for the container's shell; shell operators make it one word, as in Compose.
 */
function words(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map((v) => unescapeDollars(String(v)));
  if (typeof value !== 'string') return undefined;
  const out: string[] = [];
  for (const entry of parse(unescapeDollars(value), (key) => `$${key}`)) {
    if (typeof entry === 'string') out.push(entry);
    else if ('op' in entry) out.push(entry.op === 'glob' ? entry.pattern : entry.op);
    else break;
  }
  return out;
}

function toPorts(value: unknown): PortSpec[] {
  if (!Array.isArray(value)) return [];
  const out: PortSpec[] = [];
  for (const p of value) {
    if (isObject(p)) {
      const container = Number(p.target);
      const host = p.published !== undefined ? Number(p.published) : undefined;
      out.push({ container, ...(host !== undefined && !Number.isNaN(host) ? { host } : {}), protocol: p.protocol === 'udp' ? 'udp' : 'tcp' });
    } else {
      const parsed = parsePort(String(p));
      if (typeof parsed !== 'string') out.push(parsed);
    }
  }
  return out;
}

function toVolumes(value: unknown, service: string): VolumeMount[] {
  if (!Array.isArray(value)) return [];
  return value.map((v, i) => {
    if (isObject(v)) {
      return { volume: typeof v.source === 'string' && v.source ? v.source : `${service}-anon${i}`, target: String(v.target), readOnly: v.read_only === true };
    }
    const parts = String(v).split(':');
    if (parts.length === 1) return { volume: `${service}-anon${i}`, target: parts[0]!, readOnly: false };
    return { volume: parts[0]!, target: parts[1]!, readOnly: parts[2] === 'ro' };
  });
}

function toService(name: string, svc: Record<string, unknown>, dir: string, file: string, raw: RawCompose): ServiceSpec {
  const where = { file, ...locate(raw.doc, raw.lineCounter, ['services', name]) };
  const service: ServiceSpec = { name, env: {}, ports: toPorts(svc.ports), restart: 'no', volumes: toVolumes(svc.volumes, name), dependsOn: [], where };
  if (typeof svc.image === 'string') service.image = svc.image;
  if (isObject(svc.build)) {
    const context = path.relative(dir, path.resolve(dir, String(svc.build.context ?? '.')));
    if (context.startsWith('..') || path.isAbsolute(context)) {
      throw new RejectedInputError(`${file}: build context outside the submission`, [{ ...where, ...locate(raw.doc, raw.lineCounter, ['services', name, 'build']), field: `services.${name}.build`, message: 'the build context must be a folder of the submission' }]);
    }
    const args = isObject(svc.build.args) ? Object.fromEntries(Object.entries(svc.build.args).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])) : undefined;
    service.build = {
      context: context === '' ? '.' : context,
      dockerfile: typeof svc.build.dockerfile === 'string' ? svc.build.dockerfile : 'Dockerfile',
      ...(args ? { args } : {}),
      ...(typeof svc.build.target === 'string' ? { target: svc.build.target } : {}),
    };
  }
  const command = words(svc.command);
  if (command) service.command = command;
  const entrypoint = words(svc.entrypoint);
  if (entrypoint) service.entrypoint = entrypoint;
  if (isObject(svc.environment)) for (const [k, v] of Object.entries(svc.environment)) service.env[k] = v === null || v === undefined ? '' : unescapeDollars(String(v));
  if (typeof svc.restart === 'string') {
    const r = parseRestart(svc.restart === 'on_failure' ? 'on-failure' : svc.restart);
    if (typeof r !== 'string') Object.assign(service, r);
  }
  if (isObject(svc.depends_on)) service.dependsOn = Object.keys(svc.depends_on);
  else if (Array.isArray(svc.depends_on)) service.dependsOn = svc.depends_on.map(String);
  if (typeof svc.working_dir === 'string') service.workingDir = svc.working_dir;
  if (typeof svc.user === 'string') service.user = svc.user;
  const aliases = new Set<string>();
  if (typeof svc.container_name === 'string') aliases.add(svc.container_name);
  if (isObject(svc.networks)) {
    for (const net of Object.values(svc.networks)) if (isObject(net) && Array.isArray(net.aliases)) for (const a of net.aliases) aliases.add(String(a));
  }
  aliases.delete(name);
  if (aliases.size > 0) service.aliases = [...aliases];
  return service;
}

/**
 * Normalizes a Compose file with a real Compose implementation (`docker-compose config`: merges,
 * interpolation, short/long syntax, validation against the Compose schema), then checks the
 * normalized model against the sandbox policy again and turns it into kadai's project model.
 * Nothing is started: kadai creates every resource itself from this model.
 */
export async function normalizeCompose(file: string, files: Map<string, Buffer>, raw: RawCompose, options: ComposeOptions): Promise<Project> {
  const dir = await materialize(files);
  try {
    let result: { code: number; stdout: string; stderr: string };
    try {
      result = await run(options.composeBin, ['-p', 'kadai', '-f', file, 'config'], dir, options.timeoutMs);
    } catch (error) {
      throw new InfrastructureError(`cannot run ${options.composeBin}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code !== 'ENOENT', { cause: error });
    }
    if (result.code !== 0) {
      const message = result.stderr.trim().split('\n').slice(-5).join('\n').replaceAll(dir, '.') || 'docker-compose config failed';
      const service = /services\.([\w.-]+)/.exec(message)?.[1];
      const pos = service ? locate(raw.doc, raw.lineCounter, ['services', service]) : { line: 1, column: 1 };
      throw new RejectedInputError(`${file} is not a valid Compose file`, [{ file, ...pos, ...(service ? { field: `services.${service}` } : {}), message }]);
    }
    const model = parseDocument(result.stdout).toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown>;
    const services = isObject(model.services) ? model.services : {};
    const violations: Violation[] = [...topLevelViolations(model)];
    for (const [name, svc] of Object.entries(services)) if (isObject(svc)) violations.push(...serviceViolations(name, svc));
    if (violations.length > 0) throw new RejectedInputError(`${file} asks for what the sandbox does not allow`, located(file, raw, violations));
    // Keep the order of the original file (docker-compose sorts services by name).
    const order = Object.keys(raw.data.services as Record<string, unknown>);
    const list = Object.entries(services)
      .filter((e): e is [string, Record<string, unknown>] => isObject(e[1]))
      .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
      .map(([name, svc]) => toService(name, svc, dir, file, raw));
    for (const s of list) {
      if (!s.image && !s.build) throw new RejectedInputError(`${file}: service ${s.name} has neither image nor build`, [{ ...s.where, field: `services.${s.name}`, message: 'give the service an image: or a build:' }]);
    }
    const volumes = new Set<string>(isObject(model.volumes) ? Object.keys(model.volumes) : []);
    for (const s of list) for (const v of s.volumes) volumes.add(v.volume);
    return { input: 'compose', file, services: list, volumes: [...volumes] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
