import type { KUBECTL_VERBS } from '@kadai/catalog';
import { logicalLines, tokenize } from '@kadai/command-line';
import { RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { imageAllowed } from './images';

/**
 * The kubectl commands a course has students type, handed in as a text file and read as data:
 * tokenized without a shell, matched against a fixed set of verbs and flags, and returned as
 * structured commands kadai executes itself (as the attempt's ServiceAccount, between stages).
 * Read-only commands (get, describe, logs, …) are accepted and skipped: they change nothing.
 */

export type KubectlVerb = (typeof KUBECTL_VERBS)[number];

export interface ResourceRef {
  kind: string;
  name: string;
}

interface At {
  /** The line the command starts on in the file. */
  line: number;
}

export type KubectlCommand = At &
  (
    | { verb: 'apply'; files: string[] }
    | { verb: 'create deployment'; name: string; image: string; replicas?: number; port?: number }
    | { verb: 'expose'; target: ResourceRef; port: number; targetPort?: string; type?: ServiceType; name?: string; protocol?: string }
    | { verb: 'scale'; target: ResourceRef; replicas: number }
    | { verb: 'set image'; target: ResourceRef; images: Record<string, string> }
    | { verb: 'rollout undo'; target: ResourceRef; toRevision?: number }
    | { verb: 'label' | 'annotate'; target: ResourceRef; set: Record<string, string>; remove: string[]; overwrite: boolean }
    | { verb: 'delete'; targets: ResourceRef[]; files: string[]; wait?: false; now?: true }
    | { verb: 'taint'; target: ResourceRef; add: NodeTaint[]; remove: { key: string; effect?: TaintEffect }[]; overwrite: boolean }
  );

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** One taint as `kubectl taint` writes it: `key=value:Effect` or `key:Effect`. */
export interface NodeTaint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface KubectlAllowList {
  verbs: readonly KubectlVerb[];
  /** Kinds commands may name (as in the lab's policy). */
  kinds: readonly string[];
  images: readonly string[];
  maxReplicas: number;
  /**
   * The nodes a scheduling lab gives each attempt, by the course's names (`minikube-m02`): the only
   * nodes `label` and `taint` may name. Without them no command may name a node.
   */
  nodes?: readonly string[];
}

/** Commands that only read; a student may keep them in the file from the course's steps. */
export const READ_ONLY_VERBS: ReadonlySet<string> = new Set(['get', 'describe', 'logs', 'explain', 'cluster-info', 'version', 'api-resources', 'api-versions', 'top', 'port-forward', 'exec', 'config', 'wait', 'events']);

/** kubectl's names of the kinds (singular, plural, short), to the kind. */
export const KIND_ALIASES: Readonly<Record<string, string>> = {
  pod: 'Pod', pods: 'Pod', po: 'Pod',
  service: 'Service', services: 'Service', svc: 'Service',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet',
  job: 'Job', jobs: 'Job', cronjob: 'CronJob', cronjobs: 'CronJob', cj: 'CronJob',
  configmap: 'ConfigMap', configmaps: 'ConfigMap', cm: 'ConfigMap',
  secret: 'Secret', secrets: 'Secret',
  persistentvolumeclaim: 'PersistentVolumeClaim', persistentvolumeclaims: 'PersistentVolumeClaim', pvc: 'PersistentVolumeClaim',
  ingress: 'Ingress', ingresses: 'Ingress', ing: 'Ingress',
  horizontalpodautoscaler: 'HorizontalPodAutoscaler', hpa: 'HorizontalPodAutoscaler',
  node: 'Node', nodes: 'Node', no: 'Node', namespace: 'Namespace', namespaces: 'Namespace', ns: 'Namespace',
};

/** Flags per verb: `value` takes an argument, `bool` does not. `-n default` is accepted everywhere (it means the attempt's namespace). */
const FLAGS: Record<KubectlVerb, Record<string, 'value' | 'bool'>> = {
  apply: { '-f': 'value', '--filename': 'value' },
  'create deployment': { '--image': 'value', '--replicas': 'value', '-r': 'value', '--port': 'value' },
  expose: { '--port': 'value', '--target-port': 'value', '--type': 'value', '--name': 'value', '--protocol': 'value' },
  scale: { '--replicas': 'value' },
  'set image': {},
  'rollout undo': { '--to-revision': 'value' },
  label: { '--overwrite': 'bool' },
  annotate: { '--overwrite': 'bool' },
  delete: { '-f': 'value', '--filename': 'value', '--wait': 'bool', '--now': 'bool' },
  taint: { '--overwrite': 'bool' },
};

/** Verbs that may name a Node (the attempt's own fake nodes of a scheduling lab; the grader maps and fences them). */
const NODE_VERBS: ReadonlySet<string> = new Set(['label', 'taint']);
const NAMESPACE_FLAGS = new Set(['-n', '--namespace']);

interface Words {
  positional: string[];
  flags: Map<string, string[]>;
}

class LineError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a commands file; throws a RejectedInputError naming the line and flag of every problem. */
export function parseKubectlCommands(text: string, allowList: KubectlAllowList, file = 'commands.txt'): KubectlCommand[] {
  const commands: KubectlCommand[] = [];
  const issues: InputIssue[] = [];
  for (const { line, text: command } of logicalLines(text)) {
    const { words, error } = tokenize(command, 'kubectl');
    if (error || !words) {
      issues.push({ file, line, message: error ?? 'cannot read this line' });
      continue;
    }
    try {
      const parsed = parseCommand(words, line, allowList);
      if (parsed) commands.push(parsed);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      issues.push({ file, line, ...(err.field ? { field: err.field } : {}), message: err.message });
    }
  }
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new RejectedInputError(`the kubectl commands cannot be run: ${formatIssue(issues[0] as InputIssue)}${more}`, issues, 422);
  }
  return commands;
}

function parseCommand(words: string[], line: number, allowList: KubectlAllowList): KubectlCommand | undefined {
  if (words[0] !== 'kubectl') throw new LineError(words[0], `only kubectl commands are read here; "${words[0] ?? ''}" is not one`);
  const first = words[1] ?? '';
  if (READ_ONLY_VERBS.has(first)) return undefined;
  const two = `${first} ${words[2] ?? ''}`;
  const verb = (['create deployment', 'set image', 'rollout undo'].includes(two) ? two : first) as KubectlVerb;
  if (!(verb in FLAGS)) throw new LineError(first, `"kubectl ${first}" is not accepted here; accepted: ${Object.keys(FLAGS).join(', ')}`);
  if (!allowList.verbs.includes(verb)) throw new LineError(verb, `"kubectl ${verb}" is not part of this lab; accepted: ${allowList.verbs.join(', ')}`);
  const args = splitWords(words.slice(verb.split(' ').length + 1), FLAGS[verb], verb);
  const one = (flag: string) => args.flags.get(flag)?.at(-1);
  const ref = (): ResourceRef => target(args.positional, allowList, verb);
  const nodes = NODE_VERBS.has(verb);
  switch (verb) {
    case 'apply':
      return { verb, line, files: filesOf(args, true) };
    case 'create deployment': {
      const [name, ...rest] = args.positional;
      if (!name || rest.length > 0) throw new LineError(undefined, 'write kubectl create deployment NAME --image=IMAGE');
      const image = one('--image');
      if (!image) throw new LineError('--image', '--image is required');
      if (!imageAllowed(image, allowList.images)) throw new LineError('--image', `the image "${image}" is not available in this lab; allowed: ${allowList.images.join(', ')}`);
      const replicas = one('--replicas') ?? one('-r');
      const port = one('--port');
      return { verb, line, name, image, ...(replicas !== undefined ? { replicas: count('--replicas', replicas, allowList.maxReplicas) } : {}), ...(port !== undefined ? { port: portNumber('--port', port) } : {}) };
    }
    case 'expose': {
      const port = one('--port');
      if (port === undefined) throw new LineError('--port', '--port is required (kadai does not look up the container\'s ports)');
      const type = one('--type');
      if (type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) throw new LineError('--type', `--type ${type} is not accepted; use ClusterIP, NodePort or LoadBalancer`);
      const targetPort = one('--target-port');
      const name = one('--name');
      const protocol = one('--protocol');
      return { verb, line, target: ref(), port: portNumber('--port', port), ...(targetPort !== undefined ? { targetPort } : {}), ...(type !== undefined ? { type: type as ServiceType } : {}), ...(name !== undefined ? { name } : {}), ...(protocol !== undefined ? { protocol } : {}) };
    }
    case 'scale': {
      const replicas = one('--replicas');
      if (replicas === undefined) throw new LineError('--replicas', '--replicas is required');
      return { verb, line, target: ref(), replicas: count('--replicas', replicas, allowList.maxReplicas) };
    }
    case 'set image': {
      const pairs = args.positional.filter((w) => w.includes('='));
      const targetWords = args.positional.filter((w) => !w.includes('='));
      if (pairs.length === 0) throw new LineError(undefined, 'write kubectl set image deployment/NAME CONTAINER=IMAGE');
      const images: Record<string, string> = {};
      for (const pair of pairs) {
        const [container = '', image = ''] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
        if (!imageAllowed(image, allowList.images)) throw new LineError(pair, `the image "${image}" is not available in this lab; allowed: ${allowList.images.join(', ')}`);
        images[container] = image;
      }
      return { verb, line, target: target(targetWords, allowList, verb), images };
    }
    case 'rollout undo': {
      const revision = one('--to-revision');
      return { verb, line, target: ref(), ...(revision !== undefined ? { toRevision: count('--to-revision', revision, Number.MAX_SAFE_INTEGER) } : {}) };
    }
    case 'label':
    case 'annotate': {
      const changes = args.positional.filter((w) => w.includes('=') || w.endsWith('-'));
      const set: Record<string, string> = {};
      const remove: string[] = [];
      for (const change of changes) {
        const eq = change.indexOf('=');
        if (eq > 0) set[change.slice(0, eq)] = change.slice(eq + 1);
        else remove.push(change.slice(0, -1));
      }
      if (changes.length === 0) throw new LineError(undefined, `write kubectl ${verb} KIND NAME key=value`);
      return { verb, line, target: target(args.positional.filter((w) => !changes.includes(w)), allowList, verb, nodes), set, remove, overwrite: args.flags.has('--overwrite') };
    }
    case 'taint': {
      // kubectl taint nodes NAME key=value:Effect | key:Effect | key- | key:Effect-
      const changes = args.positional.filter((w) => w.includes(':') || w.includes('=') || w.endsWith('-'));
      if (changes.length === 0) throw new LineError(undefined, 'write kubectl taint nodes NAME key=value:Effect (or key- to remove it)');
      const add: NodeTaint[] = [];
      const remove: { key: string; effect?: TaintEffect }[] = [];
      for (const change of changes) {
        if (change.endsWith('-')) {
          const [key = '', effect] = change.slice(0, -1).split(':');
          if (effect !== undefined && !TAINT_EFFECTS.includes(effect)) throw new LineError(change, `unknown taint effect "${effect}"; use ${TAINT_EFFECTS.join(', ')}`);
          remove.push({ key, ...(effect !== undefined ? { effect: effect as TaintEffect } : {}) });
          continue;
        }
        const colon = change.lastIndexOf(':');
        const effect = colon > 0 ? change.slice(colon + 1) : '';
        if (!TAINT_EFFECTS.includes(effect)) throw new LineError(change, `a taint needs an effect: key=value:Effect with Effect one of ${TAINT_EFFECTS.join(', ')}`);
        const [key = '', value] = change.slice(0, colon).split('=');
        if (!key) throw new LineError(change, 'a taint needs a key');
        add.push({ key, ...(value !== undefined && value !== '' ? { value } : {}), effect: effect as TaintEffect });
      }
      const ref = target(args.positional.filter((w) => !changes.includes(w)), allowList, verb, true);
      if (ref.kind !== 'Node') throw new LineError(undefined, 'kubectl taint works on nodes: kubectl taint nodes NAME key=value:Effect');
      return { verb, line, target: ref, add, remove, overwrite: args.flags.has('--overwrite') };
    }
    case 'delete': {
      const files = filesOf(args, false);
      const targets = files.length > 0 && args.positional.length === 0 ? [] : targetsOf(args.positional, allowList);
      // kubectl waits until the objects are gone unless --wait=false; --now is a grace period of 1 s
      return { verb, line, targets, files, ...(one('--wait') === 'false' ? { wait: false as const } : {}), ...(args.flags.has('--now') ? { now: true as const } : {}) };
    }
  }
}

/** Splits flags from positional words, refusing unknown flags and any namespace but the attempt's. */
function splitWords(words: string[], allowed: Record<string, 'value' | 'bool'>, verb: string): Words {
  const out: Words = { positional: [], flags: new Map() };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('-') || word === '-') {
      out.positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const flag = eq > 0 ? word.slice(0, eq) : word;
    let value = eq > 0 ? word.slice(eq + 1) : undefined;
    const kind = NAMESPACE_FLAGS.has(flag) ? 'value' : allowed[flag];
    if (!kind) throw new LineError(flag, `the flag ${flag} is not accepted with kubectl ${verb}${Object.keys(allowed).length ? `; accepted: ${Object.keys(allowed).join(' ')}` : ''}`);
    if (kind === 'value' && value === undefined) {
      value = words[++i];
      if (value === undefined) throw new LineError(flag, `${flag} needs a value`);
    }
    if (NAMESPACE_FLAGS.has(flag)) {
      if (value !== 'default') throw new LineError(flag, `${flag} ${value ?? ''} is not allowed: commands run in the attempt's namespace (leave ${flag} out)`);
      continue;
    }
    out.flags.set(flag, [...(out.flags.get(flag) ?? []), value ?? 'true']);
  }
  return out;
}

function kindOf(word: string, allowList: KubectlAllowList, nodes = false): string {
  const kind = KIND_ALIASES[word.toLowerCase()];
  if (!kind) throw new LineError(word, `"${word}" is not a kind kadai knows`);
  if (kind === 'Node' && nodes && allowList.nodes?.length) return kind;
  if (!allowList.kinds.includes(kind)) throw new LineError(word, `${kind} is not used in this lab; allowed kinds: ${allowList.kinds.join(', ')}`);
  return kind;
}

/** `deployment web`, `deployment/web` or `deploy/web`. */
function target(words: string[], allowList: KubectlAllowList, verb: string, nodes = false): ResourceRef {
  const refs = targetsOf(words, allowList, nodes);
  if (refs.length !== 1) throw new LineError(undefined, `kubectl ${verb} takes one object (KIND NAME or KIND/NAME)`);
  return refs[0] as ResourceRef;
}

function targetsOf(words: string[], allowList: KubectlAllowList, nodes = false): ResourceRef[] {
  if (words.length === 0) throw new LineError(undefined, 'name the object (KIND NAME or KIND/NAME)');
  if (words.every((w) => w.includes('/'))) {
    return words.map((w) => ({ kind: kindOf(w.slice(0, w.indexOf('/')), allowList, nodes), name: w.slice(w.indexOf('/') + 1) })).map(ownNode(allowList));
  }
  const [kindWord = '', ...names] = words;
  if (names.length === 0 || names.some((n) => n.includes('/'))) throw new LineError(kindWord, 'name the object (KIND NAME or KIND/NAME)');
  if (kindWord.includes(',')) throw new LineError(kindWord, 'name one kind at a time');
  const kind = kindOf(kindWord, allowList, nodes);
  return names.map((name) => ({ kind, name })).map(ownNode(allowList));
}

/** A node named by a command must be one of the lab's own (never the cluster's real or shared nodes). */
const ownNode = (allowList: KubectlAllowList) => (ref: ResourceRef): ResourceRef => {
  if (ref.kind === 'Node' && !allowList.nodes?.includes(ref.name)) {
    throw new LineError(ref.name, `node "${ref.name}" is not one of this lab's nodes (${allowList.nodes?.join(', ') ?? ''}); kadai labels and taints only the attempt's own nodes`);
  }
  return ref;
};

function filesOf(args: Words, required: boolean): string[] {
  const files = [...(args.flags.get('-f') ?? []), ...(args.flags.get('--filename') ?? [])].flatMap((f) => f.split(','));
  if (required && files.length === 0) throw new LineError('-f', 'name the manifest file with -f');
  for (const file of files) {
    if (/^[a-z]+:\/\//i.test(file) || file === '-') throw new LineError('-f', `-f ${file}: only files of the submission can be named`);
  }
  return files;
}

function count(flag: string, value: string, max: number): number {
  if (!/^\d+$/.test(value)) throw new LineError(flag, `${flag} must be a whole number, not "${value}"`);
  const n = Number(value);
  if (n > max) throw new LineError(flag, `${flag}=${n} is more than this lab allows (${max})`);
  return n;
}

function portNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new LineError(flag, `${flag} must be a port number (1-65535), not "${value}"`);
  return n;
}
