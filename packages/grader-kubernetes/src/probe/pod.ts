import { Exec, type KubeConfig, type KubernetesObject, type V1Status } from '@kubernetes/client-node';
import { pollUntil } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { isNotFound, messageOf, probeLabels, statusOf, type ObjectClient } from '@kadai/k8s-sandbox';
import { StringDecoder } from 'node:string_decoder';
import { PassThrough, Writable } from 'node:stream';
import { LineSplitter, parseProbeLine, probeCommand, type ProbeLine, type ProbeRequest, type ProbeRunRequest, type ProbeSummary } from './output';

export const PROBE_POD = 'kadai-probe';
export const PROBE_CONTAINER = 'probe';

export interface ProbeSettings {
  /** The probe image as the cluster pulls it (the worker's config; `kadai/probe:1` on the local cluster). */
  image: string;
  /** How long the probe Pod may take to become Ready (image pull included). */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const MAX_STDERR = 4096;
/** Reasons a container waits for good: the probe will not start (kadai's image or the node's problem). */
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/**
 * The probe Pod of one attempt, in the attempt's namespace (so what it reaches is what the attempt's
 * NetworkPolicy lets its own Pods reach, and nothing is probed from the worker's host network).
 * Made by the worker as kadai, with `probeLabels` (the fence admits kadai-labelled objects; the
 * attempt's NetworkPolicy admits the probe into the attempt's Pods by them), restricted-compatible
 * (the namespace enforces Pod Security baseline and warns on restricted), with small fixed requests
 * and limits so a quota or LimitRange of the namespace admits it. Deleted with the namespace.
 */
export function probePodManifest(namespace: string, settings: ProbeSettings): KubernetesObject {
  const resources = { cpu: '500m', memory: '64Mi', 'ephemeral-storage': '16Mi' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: PROBE_POD, namespace, labels: { ...probeLabels } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      // never on a simulated node (kwok's fake nodes carry type=kwok): exec needs a real container
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['kwok'] }] }] } } },
      containers: [
        {
          name: PROBE_CONTAINER,
          image: settings.image,
          imagePullPolicy: 'IfNotPresent',
          args: ['idle'],
          resources: { requests: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '1Mi' }, limits: resources },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  } as KubernetesObject;
}

interface PodState {
  status?: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

export interface ProbeRunResult {
  requests: ProbeLine[];
  /** Absent only when the probe was cut off before it could print one. */
  summary?: ProbeSummary;
  /** Output lines that were neither (shown in evidence when something went wrong). */
  other: string[];
}

const isReady = (pod: PodState | undefined): boolean => pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const waitingOf = (pod: PodState | undefined) => pod?.status?.containerStatuses?.[0]?.state?.waiting;

const infra = (what: string, err: unknown, retryable = true) => new InfrastructureError(`kadai's probe Pod: ${what}: ${messageOf(err)}`, retryable, { cause: err });

/** One attempt's probe: made on first use, then every request runs through the exec API in it. */
export class ProbePod {
  private starting?: Promise<void>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly client: ObjectClient,
    readonly namespace: string,
    private readonly settings: ProbeSettings,
  ) {}

  /** Creates the Pod on first use and waits until it is Ready; later calls share that wait. */
  async ready(signal?: AbortSignal): Promise<void> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined; // a later check tries again
      throw err;
    });
    await abortable(this.starting, signal);
  }

  /** The address of the node the probe runs on (where it reaches NodePorts: they are open on every node). */
  async nodeAddress(signal?: AbortSignal): Promise<string | undefined> {
    await this.ready(signal);
    const pod = await this.client.read<KubernetesObject & { status?: { hostIP?: string } }>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: PROBE_POD, namespace: this.namespace } }, signal).catch((err: unknown) => {
      throw infra('reading it', err);
    });
    return pod.status?.hostIP;
  }

  /** One request from inside the cluster. */
  async get(request: ProbeRequest, signal?: AbortSignal): Promise<ProbeLine> {
    const result = await this.exec(probeCommand(request), { signal });
    const first = result.requests[0];
    if (!first) throw infra('no answer from `probe get`', new Error(result.other.join('\n') || 'empty output'));
    return first;
  }

  /**
   * Requests at a rate or one after another; each line is handed to `onLine` as it arrives. With
   * `stop` (and `stopOnEof`), aborting it closes the probe's stdin: it stops sending, waits for
   * what is in flight and prints its summary.
   */
  async run(request: ProbeRunRequest, options: { signal?: AbortSignal; stop?: AbortSignal; onLine?: (line: ProbeLine) => void } = {}): Promise<ProbeRunResult> {
    return this.exec(probeCommand({ ...request, stopOnEof: request.stopOnEof ?? options.stop !== undefined }, 'run'), options);
  }

  private async start(): Promise<void> {
    try {
      await this.client.request('POST', `/api/v1/namespaces/${this.namespace}/pods`, { body: probePodManifest(this.namespace, this.settings) });
    } catch (err) {
      // 409: made already (an earlier check of this attempt whose wait was cut short)
      const status = statusOf(err);
      if (status !== 409) throw infra('creating it', err, status === undefined || status >= 429);
    }
    const timeoutMs = this.settings.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const seen = await pollUntil<PodState | undefined>({
      timeoutMs,
      intervalMs: 200,
      observe: async () => {
        try {
          return await this.client.read<KubernetesObject & PodState>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: PROBE_POD, namespace: this.namespace } });
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw infra('reading it', err);
        }
      },
      judge: (pod) => (isReady(pod) ? 'done' : STUCK.has(waitingOf(pod)?.reason ?? '') ? 'stop' : 'again'),
    });
    if (seen.ok) return;
    const waiting = waitingOf(seen.last);
    if (seen.ended === 'stopped') throw infra(`it cannot start (image ${this.settings.image})`, new Error(`${waiting?.reason}: ${waiting?.message ?? ''}`));
    throw infra(`not Ready within ${timeoutMs} ms`, new Error(waiting?.reason ?? (seen.last ? 'not Ready' : 'not found')));
  }

  private async exec(command: string[], options: { signal?: AbortSignal; stop?: AbortSignal; onLine?: (line: ProbeLine) => void }): Promise<ProbeRunResult> {
    await this.ready(options.signal);
    options.signal?.throwIfAborted();
    const result: ProbeRunResult = { requests: [], other: [] };
    const splitter = new LineSplitter((text) => {
      const parsed = parseProbeLine(text);
      if ('request' in parsed) {
        result.requests.push(parsed.request);
        options.onLine?.(parsed.request);
      } else if ('summary' in parsed) result.summary = parsed.summary;
      else result.other.push(text);
    });
    const decoder = new StringDecoder('utf8');
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        splitter.push(decoder.write(chunk));
        done();
      },
    });
    let stderr = '';
    const stderrSink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
        done();
      },
    });
    const stdin = options.stop ? new PassThrough() : null;
    let status: V1Status | undefined;
    let socket: Awaited<ReturnType<Exec['exec']>>;
    try {
      socket = await new Exec(this.kc).exec(this.namespace, PROBE_POD, PROBE_CONTAINER, command, stdout, stderrSink, stdin, false, (s) => {
        status = s;
      });
    } catch (err) {
      throw infra('exec', err);
    }
    const endStdin = () => stdin?.end();
    if (options.stop?.aborted) endStdin();
    options.stop?.addEventListener('abort', endStdin, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const cutOff = () => {
          socket.close();
          reject(options.signal?.reason);
        };
        if (options.signal?.aborted) return cutOff();
        options.signal?.addEventListener('abort', cutOff, { once: true });
        socket.on('close', () => {
          options.signal?.removeEventListener('abort', cutOff);
          resolve();
        });
        socket.on('error', (err: Error) => reject(infra('exec stream', err)));
      });
    } finally {
      options.stop?.removeEventListener('abort', endStdin);
    }
    splitter.push(decoder.end());
    splitter.flush();
    if (status?.status !== 'Success') {
      const detail = [status?.message, stderr.trim()].filter(Boolean).join(': ') || 'the exec ended without a status';
      throw infra(`\`${command.slice(0, 2).join(' ')}\` failed`, new Error(detail), status === undefined);
    }
    return result;
  }
}

/** Waits for `promise`, or rejects at once when `signal` aborts (the promise itself goes on). */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
