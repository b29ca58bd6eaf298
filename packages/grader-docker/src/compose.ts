import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { ParseError, type ComposeModel, type ReferenceParsers } from '@kadai/reference-parsers';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { PortSpec, Project, ServiceSpec, VolumeMount } from './model';
import { composeViolations, type Violation } from './policy';
import { parseRestart } from './run-line';

/** Compose's default file names, in the order Compose itself looks for them. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

export function findComposeFile(files: Map<string, Buffer>): string | undefined {
  return COMPOSE_FILE_NAMES.find((name) => files.has(name));
}

const MAX_ALIASES = 100;
/** Files larger than this are not sent to the loader (an env file is small; build contexts stay in kadai). */
const MAX_TEXT_FILE_BYTES = 256 * 1024;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Compose file as written: for positions (line:column of a field, merge keys followed) and the order of services. */
export interface ComposeText {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  serviceOrder: string[];
}

/** The node a key names in a mapping, looking through `<<: *anchor` merge keys as YAML 1.1 (and compose-go) do. */
function child(doc: Document, node: unknown, key: string | number): Node | undefined {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (isSeq(target)) return typeof key === 'number' ? (target.items[key] as Node | undefined) : undefined;
  if (!isMap(target)) return undefined;
  const merges: unknown[] = [];
  for (const pair of target.items) {
    // With `merge: true` the yaml package reads a merge key (`<<`) as Symbol(<<).
    const merge = isScalar(pair.key) && typeof pair.key.value === 'symbol';
    if (!merge && isScalar(pair.key) && String(pair.key.value) === String(key)) return pair.value as Node;
    if (merge) merges.push(...(isSeq(pair.value) ? pair.value.items : [pair.value]));
  }
  for (const merged of merges) {
    const found = child(doc, merged, key);
    if (found) return found;
  }
  return undefined;
}

/** line:column of the deepest part of `fieldPath` written in the file (a merged field: where the anchor holds it). */
export function locateField(text: ComposeText, fieldPath: ReadonlyArray<string | number>): { line: number; column: number } {
  let node: unknown = text.doc.contents;
  let found = node as Node | undefined;
  for (const key of fieldPath) {
    node = child(text.doc, node, key);
    if (!node) break;
    found = node as Node;
  }
  if (found?.range) {
    const pos = text.lineCounter.linePos(found.range[0]);
    return { line: pos.line, column: pos.col };
  }
  return { line: 1, column: 1 };
}

function located(text: ComposeText, violations: Violation[]): InputIssue[] {
  return violations.map((v) => ({ file: text.file, ...locateField(text, v.path), field: v.path.join('.'), message: v.message }));
}

/**
 * Reads the Compose file as YAML for positions only: syntax errors and alias bombs are refused here,
 * before the loader sees the file; what it means is decided by compose-go alone.
 */
export function readComposeText(file: string, text: string): ComposeText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new RejectedInputError(
      `${file} is not valid YAML`,
      doc.errors.map((e) => {
        const p = lineCounter.linePos(e.pos[0]);
        return { file, line: p.line, column: p.col, message: e.message.split('\n')[0] ?? e.code };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw new RejectedInputError(`${file}: too many YAML aliases`, [{ file, line: 1, column: 1, message: `alias bomb: ${(error as Error).message}` }]);
  }
  const services = isObject(data) && isObject(data.services) ? Object.keys(data.services) : [];
  return { file, doc, lineCounter, serviceOrder: services };
}

/** The Compose file and the submission's files the loader may read (env files, .env): small ones, as text. */
function textFiles(composeFile: string, files: Map<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, data] of files) if (data.length <= MAX_TEXT_FILE_BYTES || name === composeFile) out[name] = data.toString('utf8');
  return out;
}

function toPorts(value: unknown): PortSpec[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((p) => {
    const host = p.published !== undefined && p.published !== '' ? Number(p.published) : undefined;
    return { container: Number(p.target), ...(host !== undefined && !Number.isNaN(host) ? { host } : {}), protocol: p.protocol === 'udp' ? 'udp' : 'tcp' };
  });
}

function toVolumes(value: unknown, service: string): VolumeMount[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((v, i) => ({ volume: typeof v.source === 'string' && v.source ? v.source : `${service}-anon${i}`, target: String(v.target), readOnly: v.read_only === true }));
}

/** compose-go writes paths of the submission as `.` or `./dir`; kadai's sandbox wants `.` or `dir`. */
const submissionPath = (p: string) => path.posix.normalize(p).replace(/\/+$/, '') || '.';

const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined);

function toService(name: string, svc: Record<string, unknown>, text: ComposeText): ServiceSpec {
  const where = { file: text.file, ...locateField(text, ['services', name]) };
  const service: ServiceSpec = { name, env: {}, ports: toPorts(svc.ports), restart: 'no', volumes: toVolumes(svc.volumes, name), dependsOn: [], where };
  if (typeof svc.image === 'string') service.image = svc.image;
  if (isObject(svc.build)) {
    const args = isObject(svc.build.args) ? Object.fromEntries(Object.entries(svc.build.args).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
    service.build = {
      context: submissionPath(String(svc.build.context)),
      dockerfile: typeof svc.build.dockerfile === 'string' ? svc.build.dockerfile : 'Dockerfile',
      ...(args ? { args } : {}),
      ...(typeof svc.build.target === 'string' ? { target: svc.build.target } : {}),
    };
  }
  const command = strings(svc.command);
  if (command) service.command = command;
  const entrypoint = strings(svc.entrypoint);
  if (entrypoint) service.entrypoint = entrypoint;
  // A variable without a value that nothing resolved is not set in the container (as in Compose).
  if (isObject(svc.environment)) for (const [k, v] of Object.entries(svc.environment)) if (typeof v === 'string') service.env[k] = v;
  if (typeof svc.restart === 'string') {
    const r = parseRestart(svc.restart === 'on_failure' ? 'on-failure' : svc.restart);
    if (typeof r !== 'string') Object.assign(service, r);
  }
  if (isObject(svc.depends_on)) service.dependsOn = Object.keys(svc.depends_on);
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
 * Normalizes a Compose file with compose-go (the Compose specification's reference loader, in
 * kadai's long-lived helper, over the submission's files only), checks the normalized model — the
 * one kadai will run — against the sandbox policy, and turns it into kadai's project model.
 * Nothing is started: kadai creates every resource itself from this model.
 */
export async function normalizeCompose(parsers: ReferenceParsers, text: ComposeText, files: Map<string, Buffer>, maxServices: number): Promise<Project> {
  let model: ComposeModel;
  let include: unknown[] | undefined;
  try {
    ({ project: model, include } = await parsers.compose(text.file, textFiles(text.file, files)));
  } catch (error) {
    if (error instanceof ParseError) {
      const issue = error.issues[0]!;
      throw new RejectedInputError(`${text.file} is not a valid Compose file`, [{ ...issue, ...(error.path.length > 0 ? locateField(text, error.path) : { line: 1, column: 1 }) }]);
    }
    throw error;
  }
  const services = model.services ?? {};
  const names = Object.keys(services);
  if (names.length === 0 || names.length > maxServices) {
    throw new RejectedInputError(`${text.file} declares ${names.length} services`, [
      { file: text.file, ...locateField(text, ['services']), field: 'services', message: `between 1 and ${maxServices} services are accepted, found ${names.length}` },
    ]);
  }
  const violations = composeViolations(model, include);
  if (violations.length > 0) throw new RejectedInputError(`${text.file} asks for what the sandbox does not allow`, located(text, violations));
  // The file's order (the model's map is sorted by name); a service only merged in goes last.
  const rank = (name: string) => (text.serviceOrder.includes(name) ? text.serviceOrder.indexOf(name) : text.serviceOrder.length);
  const list = names.sort((a, b) => rank(a) - rank(b)).map((name) => toService(name, services[name]!, text));
  for (const s of list) {
    if (!s.image && !s.build) throw new RejectedInputError(`${text.file}: service ${s.name} has neither image nor build`, [{ ...s.where, field: `services.${s.name}`, message: 'give the service an image: or a build:' }]);
  }
  const volumes = new Set<string>(Object.keys(model.volumes ?? {}));
  for (const s of list) for (const v of s.volumes) volumes.add(v.volume);
  return { input: 'compose', file: text.file, services: list, volumes: [...volumes] };
}
