import { fields, loadConfig, serviceEnv, webhookUrlEnv } from '@kadai/config';
import { DEFAULT_DOCKER_OPTIONS, KADAI_ENGINE_SOCKET } from '@kadai/grader-docker';
import { DEFAULT_PROBE_IMAGE, type NodeRuntime } from '@kadai/grader-kubernetes';
import { DEFAULT_RETRY_SCHEDULE_MS } from '@kadai/webhooks';
import type { ClusterTarget } from '@kadai/k8s-sandbox';
import { hostname } from 'node:os';
import type { LabKind } from '@kadai/catalog';
import { z } from 'zod';

const LAB_KINDS = ['quiz', 'docker', 'kubernetes'] as const satisfies readonly LabKind[];

const schema = z
  .object({
    ...serviceEnv,
    KADAI_WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
    KADAI_WORKER_METRICS_PORT: fields.port.default(9464),
    // where /metrics, /healthz and /readyz listen: loopback on a shared machine, 0.0.0.0 in a Pod
    KADAI_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    // the lab kinds this worker grades (comma-separated); unset: every kind. Named explicitly (one
    // Deployment per kind), a kind's infrastructure must answer at start: docker refuses to start without its engine.
    KADAI_WORKER_KINDS: z
      .string()
      .transform((list) => list.split(',').map((kind) => kind.trim()).filter(Boolean))
      .pipe(z.array(z.enum(LAB_KINDS)).min(1, 'name at least one of quiz, docker, kubernetes'))
      .optional(),
    KADAI_CONCURRENCY_QUIZ: fields.positiveInt.default(8),
    KADAI_CONCURRENCY_DOCKER: fields.positiveInt.default(2),
    KADAI_CONCURRENCY_KUBERNETES: fields.positiveInt.default(2),
    KADAI_LOCK_DURATION_MS: fields.positiveInt.default(30_000),
    KADAI_STALLED_INTERVAL_MS: fields.positiveInt.default(30_000),
    KADAI_HEARTBEAT_MS: fields.positiveInt.default(10_000),
    KADAI_LEASE_MS: fields.positiveInt.default(30_000),
    KADAI_SWEEP_INTERVAL_MS: fields.positiveInt.default(15_000),
    KADAI_SWEEP_QUEUED_AFTER_MS: fields.positiveInt.default(60_000),
    // retention: stored files of submissions finished more than this many days ago are removed (grades stay); unset: kept
    KADAI_RETENTION_FILES_DAYS: fields.positiveInt.optional(),
    KADAI_RETENTION_INTERVAL_MS: fields.positiveInt.default(3_600_000),
    KADAI_SHUTDOWN_GRACE_MS: fields.milliseconds.default(30_000),
    KADAI_FAULT_DELAY_MS: fields.milliseconds.default(0),
    // The docker grader: the engine's socket and what one attempt may use.
    KADAI_DOCKER_SOCKET: z.string().min(1).default(KADAI_ENGINE_SOCKET),
    KADAI_DOCKER_MEMORY_MB: fields.positiveInt.default(256),
    KADAI_DOCKER_CPUS: z.coerce.number().positive().max(64).default(0.5),
    KADAI_DOCKER_PIDS: fields.positiveInt.default(128),
    KADAI_DOCKER_BUILD_MEMORY_MB: fields.positiveInt.default(1024),
    KADAI_DOCKER_BUILD_CPUS: z.coerce.number().positive().max(64).default(1),
    // always on: a build without a pids limit is never run (the worker reports itself unsafe instead)
    KADAI_DOCKER_BUILD_PIDS: z.coerce.number().int().min(16).default(1024),
    KADAI_DOCKER_CGROUP_ROOT: z.string().min(1).default('/sys/fs/cgroup'),
    KADAI_DOCKER_DISK_MB: fields.positiveInt.default(1024),
    KADAI_DOCKER_ENGINE_MIN_FREE_MB: fields.positiveInt.default(2048),
    KADAI_DOCKER_SAFETY_CHECK_MS: fields.positiveInt.default(60_000),
    // how often the worker tells the api which labs it cannot grade (a capability its cluster lacks)
    KADAI_LAB_AVAILABILITY_INTERVAL_MS: fields.positiveInt.default(60_000),
    KADAI_DOCKER_BUILD_TIMEOUT_MS: fields.positiveInt.default(240_000),
    KADAI_DOCKER_RUN_TIMEOUT_MS: fields.positiveInt.default(90_000),
    KADAI_DOCKER_LOG_MAX_BYTES: fields.positiveInt.default(1024 * 1024),
    KADAI_DOCKER_PORTS: z
      .string()
      .regex(/^\d{2,5}-\d{2,5}$/, 'a port range like 61000-61999')
      .default('61000-61999')
      .transform((r) => {
        const [from, to] = r.split('-').map(Number) as [number, number];
        return { from, to };
      })
      .refine((r) => r.from >= 1024 && r.from <= r.to && r.to <= 65535, 'from <= to, within 1024-65535'),
    // The reference-parsers helper (compose-go, BuildKit's parser); default: the build of the current sources
    KADAI_PARSERS_BIN: z.string().min(1).optional(),
    // iptables INPUT rules so attempt networks cannot reach the host's own services (needs root)
    // Builds: their network's subnet (the gateway is where the package mirror listens), the mirror, and
    // the only registry images come from (see packages/grader-docker/README.md, "Builds").
    KADAI_DOCKER_BUILD_SUBNET: z.string().regex(/^\d+\.\d+\.\d+\.0\/(1[6-9]|2[0-4])$/, 'an IPv4 subnet like 10.203.0.0/24').default('10.203.0.0/24'),
    KADAI_PACKAGE_MIRROR_ADDRESS: z.union([z.literal(''), z.ipv4()]).default(''),
    KADAI_PACKAGE_MIRROR_PORT: fields.port.default(80),
    KADAI_PACKAGE_MIRROR_URL: z.union([z.literal(''), z.string().url()]).default('http://127.0.0.1:5080'),
    KADAI_DOCKER_IMAGE_REGISTRY: z.union([z.literal(''), z.string().url()]).default('http://127.0.0.1:5000'),
    KADAI_DOCKER_TRANSFER_REGISTRY: z.string().url().optional(),
    KADAI_DOCKER_IMAGE_MAX_MB: fields.positiveInt.default(2048),
    KADAI_DOCKER_ISOLATE_FROM_HOST: z.enum(['true', 'false']).default('true'),
    // registries kadai serves images from besides the engine's mirrors (comma-separated URLs): their outage is kadai's
    KADAI_DOCKER_REGISTRIES: z
      .string()
      .default('')
      .transform((list) => list.split(',').map((url) => url.trim()).filter(Boolean))
      .pipe(z.array(z.url({ protocol: /^https?$/ }))),
    KADAI_DOCKER_REAP_AFTER_MS: fields.positiveInt.default(30 * 60_000),
    // kadai's BuildKit daemon (infra/buildkit/up), which runs every build, and its client
    KADAI_BUILDKIT_ADDRESS: z.string().regex(/^(unix|tcp):\/\//, 'a buildkitd address like unix:///run/kadai/buildkit/buildkitd.sock').default(DEFAULT_DOCKER_OPTIONS.buildkit.address),
    KADAI_BUILDCTL: z.string().min(1).default(DEFAULT_DOCKER_OPTIONS.buildkit.buildctl),
    KADAI_DOCKER_REAP_INTERVAL_MS: fields.positiveInt.default(5 * 60_000),
    // The Kubernetes grader's cluster: a kubeconfig (and context), else the Pod's service account
    // when kadai runs in a cluster, else the local cluster's fenced worker identity (infra/cluster).
    // Several kubeconfigs, comma-separated: each attempt goes to the cluster with the most free capacity.
    KADAI_KUBECONFIG: z.string().min(1).optional(),
    KADAI_KUBE_CONTEXT: z.string().min(1).optional(),
    // how often the reaper removes attempt namespaces of finished or abandoned runs
    KADAI_KUBE_REAP_INTERVAL_MS: fields.positiveInt.default(60_000),
    // kadai's probe Pod image as the cluster pulls it (infra/images pushes the local one)
    KADAI_PROBE_IMAGE: z.string().min(1).default(DEFAULT_PROBE_IMAGE),
    // the node's directory of the attempts' volume copies as this worker sees it; default: the local
    // cluster's while the worker points at it, none elsewhere ('' = not on the node: they stay)
    KADAI_NODE_VOLUME_ROOT: z.union([z.literal(''), z.string().regex(/^\//, 'an absolute path')]).optional(),
    // the node's CRI endpoint for killContainer; default: the local cluster's while the worker points
    // at it, none elsewhere ('' switches it off); crictl from the cluster build (infra/cluster/lib/versions.sh)
    KADAI_NODE_RUNTIME_ENDPOINT: z.union([z.literal(''), z.string().regex(/^(unix|tcp):\/\/\S+$/, 'a CRI endpoint such as unix:///run/kadai-cluster/containerd.sock')]).optional(),
    KADAI_CRICTL: z.string().min(1).default('/var/cache/kadai/cluster/v1.34.4/bin/crictl'),
    // E11's read-only look at a student's own cluster reaches public addresses only; these
    // address:port pairs may stand in for one though private (the tests: the local cluster's API server)
    KADAI_LIVE_CLUSTER_ALLOW_PRIVATE: z
      .string()
      .default('')
      .transform((list) => list.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[0-9a-fA-F.:]+:\d+$/, 'address:port, e.g. 10.244.0.1:6443'))),
    KUBERNETES_SERVICE_HOST: z.string().optional(),
    // Webhook delivery (packages/webhooks): 'false' leaves it to other workers
    ...webhookUrlEnv,
    KADAI_WEBHOOK_DELIVERY: z.enum(['true', 'false']).default('true'),
    KADAI_WEBHOOK_TIMEOUT_MS: fields.positiveInt.default(10_000),
    KADAI_WEBHOOK_CONCURRENCY: fields.positiveInt.default(8),
    KADAI_WEBHOOK_POLL_MS: fields.positiveInt.default(5_000),
    // the waits between attempts, comma-separated ms (tests shorten them); default about a day in all
    KADAI_WEBHOOK_RETRY_SCHEDULE_MS: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds, e.g. 5000,300000')
      .transform((list) => list.split(',').map(Number))
      .default(DEFAULT_RETRY_SCHEDULE_MS),
  })
  .refine((env) => !(env.KADAI_KUBE_CONTEXT && !env.KADAI_KUBECONFIG && env.KUBERNETES_SERVICE_HOST), {
    message: 'KADAI_KUBE_CONTEXT names a context of KADAI_KUBECONFIG, which is not set (in a Pod kadai uses its service account)',
    path: ['KADAI_KUBE_CONTEXT'],
  })
  .refine((env) => !(env.KADAI_KUBE_CONTEXT && kubeconfigPaths(env).length > 1), {
    message: 'KADAI_KUBE_CONTEXT names one context, but KADAI_KUBECONFIG lists several kubeconfigs (each is used with its current context)',
    path: ['KADAI_KUBE_CONTEXT'],
  })
  .refine((env) => env.KADAI_HEARTBEAT_MS < env.KADAI_LEASE_MS, {
    path: ['KADAI_HEARTBEAT_MS'],
    message: 'must be shorter than KADAI_LEASE_MS (a lease is renewed at every heartbeat)',
  })
  .transform((env) => ({
    databaseUrl: env.KADAI_DATABASE_URL,
    redisUrl: env.KADAI_REDIS_URL,
    queuePrefix: env.KADAI_QUEUE_PREFIX,
    labsDir: env.KADAI_LABS_DIR,
    logLevel: env.KADAI_LOG_LEVEL,
    workerId: env.KADAI_WORKER_ID,
    metricsPort: env.KADAI_WORKER_METRICS_PORT,
    metricsHost: env.KADAI_WORKER_METRICS_HOST,
    kinds: { only: [...new Set(env.KADAI_WORKER_KINDS ?? LAB_KINDS)], named: env.KADAI_WORKER_KINDS !== undefined },
    concurrency: { quiz: env.KADAI_CONCURRENCY_QUIZ, docker: env.KADAI_CONCURRENCY_DOCKER, kubernetes: env.KADAI_CONCURRENCY_KUBERNETES },
    retry: { attempts: env.KADAI_RETRY_ATTEMPTS, backoffMs: env.KADAI_RETRY_BACKOFF_MS },
    lockDurationMs: env.KADAI_LOCK_DURATION_MS,
    stalledIntervalMs: env.KADAI_STALLED_INTERVAL_MS,
    heartbeatMs: env.KADAI_HEARTBEAT_MS,
    leaseMs: env.KADAI_LEASE_MS,
    sweeper: {
      intervalMs: env.KADAI_SWEEP_INTERVAL_MS,
      queuedTimeoutMs: env.KADAI_SWEEP_QUEUED_AFTER_MS,
    },
    retention: env.KADAI_RETENTION_FILES_DAYS === undefined ? undefined : { filesDays: env.KADAI_RETENTION_FILES_DAYS, intervalMs: env.KADAI_RETENTION_INTERVAL_MS },
    shutdownGraceMs: env.KADAI_SHUTDOWN_GRACE_MS,
    faultDelayMs: env.KADAI_FAULT_DELAY_MS,
    docker: {
      socketPath: env.KADAI_DOCKER_SOCKET,
      memoryBytes: env.KADAI_DOCKER_MEMORY_MB * 1024 * 1024,
      cpus: env.KADAI_DOCKER_CPUS,
      pidsLimit: env.KADAI_DOCKER_PIDS,
      buildMemoryBytes: env.KADAI_DOCKER_BUILD_MEMORY_MB * 1024 * 1024,
      buildCpus: env.KADAI_DOCKER_BUILD_CPUS,
      buildkit: { ...DEFAULT_DOCKER_OPTIONS.buildkit, address: env.KADAI_BUILDKIT_ADDRESS, buildctl: env.KADAI_BUILDCTL },
      buildPidsLimit: env.KADAI_DOCKER_BUILD_PIDS,
      cgroupRoot: env.KADAI_DOCKER_CGROUP_ROOT,
      diskBytes: env.KADAI_DOCKER_DISK_MB * 1024 * 1024,
      engineMinFreeBytes: env.KADAI_DOCKER_ENGINE_MIN_FREE_MB * 1024 * 1024,
      buildTimeoutMs: env.KADAI_DOCKER_BUILD_TIMEOUT_MS,
      runTimeoutMs: env.KADAI_DOCKER_RUN_TIMEOUT_MS,
      logMaxBytes: env.KADAI_DOCKER_LOG_MAX_BYTES,
      portRange: env.KADAI_DOCKER_PORTS,
      ...(env.KADAI_PARSERS_BIN ? { parsersBin: env.KADAI_PARSERS_BIN } : {}),
      isolateFromHost: env.KADAI_DOCKER_ISOLATE_FROM_HOST === 'true',
      buildSubnet: env.KADAI_DOCKER_BUILD_SUBNET,
      packageMirrorAddress: env.KADAI_PACKAGE_MIRROR_ADDRESS,
      packageMirrorPort: env.KADAI_PACKAGE_MIRROR_PORT,
      packageMirrorStatusUrl: env.KADAI_PACKAGE_MIRROR_URL,
      imageRegistry: env.KADAI_DOCKER_IMAGE_REGISTRY,
      transferRegistry: env.KADAI_DOCKER_TRANSFER_REGISTRY ?? env.KADAI_DOCKER_IMAGE_REGISTRY,
      maxImageBytes: env.KADAI_DOCKER_IMAGE_MAX_MB * 1024 * 1024,
      ownRegistries: env.KADAI_DOCKER_REGISTRIES,
      reapAfterMs: env.KADAI_DOCKER_REAP_AFTER_MS,
      reapIntervalMs: env.KADAI_DOCKER_REAP_INTERVAL_MS,
    },
    dockerSafetyCheckMs: env.KADAI_DOCKER_SAFETY_CHECK_MS,
    labAvailabilityIntervalMs: env.KADAI_LAB_AVAILABILITY_INTERVAL_MS,
    webhooks: {
      enabled: env.KADAI_WEBHOOK_DELIVERY === 'true',
      policy: { allowedPrivate: env.KADAI_WEBHOOK_ALLOW_PRIVATE, selfOrigins: env.KADAI_PUBLIC_URLS.length > 0 ? env.KADAI_PUBLIC_URLS : ['http://127.0.0.1:8080'] },
      timeoutMs: env.KADAI_WEBHOOK_TIMEOUT_MS,
      concurrency: env.KADAI_WEBHOOK_CONCURRENCY,
      pollMs: env.KADAI_WEBHOOK_POLL_MS,
      retryScheduleMs: env.KADAI_WEBHOOK_RETRY_SCHEDULE_MS,
    },
    kubernetes: {
      target: kubeconfigPaths(env).length > 1 ? kubeconfigPaths(env).map((path): ClusterTarget => ({ kind: 'kubeconfig', path })) : clusterTarget(env),
      reapIntervalMs: env.KADAI_KUBE_REAP_INTERVAL_MS,
      probe: { image: env.KADAI_PROBE_IMAGE },
      ...nodeRuntime(env),
      ...nodeVolumeRoot(env),
      liveCluster: { allowedPrivate: env.KADAI_LIVE_CLUSTER_ALLOW_PRIVATE },
    },
  }));

const LOCAL_CLUSTER_KUBECONFIG = '/var/lib/kadai/cluster/kadai-worker.kubeconfig';

const LOCAL_CLUSTER_RUNTIME = 'unix:///run/kadai-cluster/containerd.sock';

function nodeRuntime(env: { KADAI_NODE_RUNTIME_ENDPOINT?: string; KADAI_CRICTL: string; KADAI_KUBECONFIG?: string; KUBERNETES_SERVICE_HOST?: string }): { nodeRuntime?: NodeRuntime } {
  // the local cluster: its worker kubeconfig, named or by default (the runtime's socket is on this machine)
  const target = clusterTarget(env);
  const local = target.kind === 'kubeconfig' && target.path === LOCAL_CLUSTER_KUBECONFIG;
  const endpoint = env.KADAI_NODE_RUNTIME_ENDPOINT ?? (local ? LOCAL_CLUSTER_RUNTIME : '');
  return endpoint ? { nodeRuntime: { endpoint, crictl: env.KADAI_CRICTL } } : {};
}

/** Where the local cluster's node keeps the attempts' volume copies (infra/cluster/manifests/kadai-worker.yaml's fence names it too). */
const LOCAL_CLUSTER_VOLUME_ROOT = '/var/lib/kadai/attempt-volumes';

function nodeVolumeRoot(env: { KADAI_NODE_VOLUME_ROOT?: string; KADAI_KUBECONFIG?: string; KUBERNETES_SERVICE_HOST?: string }): { nodeVolumeRoot?: string } {
  // the local cluster's node is this machine: its volume directories are ours to remove
  const target = clusterTarget(env);
  const local = target.kind === 'kubeconfig' && target.path === LOCAL_CLUSTER_KUBECONFIG;
  const root = env.KADAI_NODE_VOLUME_ROOT ?? (local ? LOCAL_CLUSTER_VOLUME_ROOT : '');
  return root ? { nodeVolumeRoot: root } : {};
}

const kubeconfigPaths = (env: { KADAI_KUBECONFIG?: string }) => (env.KADAI_KUBECONFIG ?? '').split(',').map((p) => p.trim()).filter(Boolean);

function clusterTarget(env: { KADAI_KUBECONFIG?: string; KADAI_KUBE_CONTEXT?: string; KUBERNETES_SERVICE_HOST?: string }): ClusterTarget {
  if (!env.KADAI_KUBECONFIG && env.KUBERNETES_SERVICE_HOST) return { kind: 'in-cluster' };
  const path = env.KADAI_KUBECONFIG ?? LOCAL_CLUSTER_KUBECONFIG;
  return env.KADAI_KUBE_CONTEXT ? { kind: 'kubeconfig', path, context: env.KADAI_KUBE_CONTEXT } : { kind: 'kubeconfig', path };
}

export type WorkerConfig = z.infer<typeof schema>;
export const readWorkerConfig = (env: NodeJS.ProcessEnv = process.env): WorkerConfig => loadConfig(schema, env);
