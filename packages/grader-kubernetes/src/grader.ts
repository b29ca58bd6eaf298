import type { KubernetesObject } from '@kubernetes/client-node';
import { Budget, runChecks } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { attemptTimes, stepTimer, type Grader, type GradingRun, type HousekeepingContext } from '@kadai/grading';
import { defaultLimits, kubeConfigFor, MANAGED_BY, ObjectClient, reapAttempts, RUN_LABEL, Sandboxes, SUBMISSION_LABEL, type AttemptNamespace, type CapabilityStatus, type ClusterTarget, type SandboxLimits, type SandboxSettings } from '@kadai/k8s-sandbox';
import { chooseCluster, measureCapacity, type ClusterCapacity } from './clusters';
import { CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { AttemptNodes, reapAttemptNodes } from '@kadai/k8s-nodes';
import { parseQuantity } from '@kadai/k8s-vetting';
import type { KubernetesLabDefinition } from '@kadai/catalog';
import { probeLabCapabilities, type LabCapability } from './capabilities';
import { IsolationGate, probeIsolation } from './isolation';
import { dryRunStages } from './dry-run';
import { Evidence } from './evidence';
import { kubernetesDefinition } from './lab';
import { checkStagesPlacement, pinStages } from './nodes';
import { ProbePod, type ProbeSettings } from './probe/pod';
import { ResourceLookup } from './resources';
import { uniquePerAttempt } from './rewrite';
import type { NodeRuntime } from './runtime';
import { readDocuments } from './documents';
import { readStages, VALIDATION_NAMESPACE } from './stages';
import { copyVolumes, hasVolumeCopies, NodeVolumeDirs } from './volumes';
import { STEP_TYPES } from './steps';
import { liveCredentialFiles } from './steps/live-cluster';
import { readLiveCredentials, type LiveClusterSettings } from './live-cluster';

export interface KubernetesGraderOptions {
  /**
   * The grading cluster, or several: each attempt then goes to the one with the most free capacity
   * (clusters.ts). The worker's config; without it the grader only validates submissions (the api).
   */
  target?: ClusterTarget | readonly ClusterTarget[];
  sandbox?: SandboxSettings;
  /** How often the reaper looks for attempt namespaces of finished or abandoned runs. */
  reapIntervalMs?: number;
  /** How long the start-up probe waits for a LoadBalancer address. */
  loadBalancerTimeoutMs?: number;
  /** kadai's probe Pod (the image as the cluster pulls it); default `kadai/probe:1`, the local stand-in. */
  probe?: ProbeSettings;
  /** The node's container runtime on this worker (capability `killContainer`); none: labs that need it are unavailable. */
  nodeRuntime?: NodeRuntime;
  /**
   * Where this worker sees the node's VOLUME_ROOT (it runs on the node: the local cluster), so that
   * the directories of the attempts' volume copies are removed; none: they stay (README, known limits).
   */
  nodeVolumeRoot?: string;
  /** What a student's live cluster may be (`liveCluster`, E11); default: public addresses only. */
  liveCluster?: LiveClusterSettings;
}

export const DEFAULT_PROBE_IMAGE = 'kadai/probe:1';

/** The attempt namespace's lease beyond the runner's deadline: past it, the reaper may remove it even if its run never ended. */
const LEASE_MARGIN_MS = 60_000;

interface Cluster {
  kc: KubeConfig;
  client: ObjectClient;
  sandboxes: Sandboxes;
}

/**
 * The kubernetes grader: vets every stage of a submission (api and worker), creates a locked-down
 * namespace per attempt, dry-runs every stage in it as the attempt, runs the lab's steps in order
 * within the lab's time, and always deletes the namespace (the reaper removes what a killed worker
 * left). Labs needing a capability the cluster lacks are unavailable, never a student's zero.
 */
export function createKubernetesGrader(options: KubernetesGraderOptions = {}): Grader {
  const targets = options.target === undefined ? [] : 'kind' in options.target ? [options.target] : options.target;
  if (targets.length < 2) return singleClusterGrader({ ...options, target: targets[0] });
  return spreadOverClusters(
    targets.map((target) => ({ name: clusterName(target), target, grader: singleClusterGrader({ ...options, target }) })),
    options.sandbox?.limits,
  );
}

function singleClusterGrader(options: KubernetesGraderOptions & { target?: ClusterTarget }): Grader {
  let cluster: Cluster | undefined;
  const volumeDirs = options.nodeVolumeRoot ? new NodeVolumeDirs(options.nodeVolumeRoot) : undefined;
  let capabilities: Promise<Record<LabCapability, CapabilityStatus>> | undefined;
  const probeSettings = options.probe ?? { image: DEFAULT_PROBE_IMAGE };
  // no Kubernetes grading at all while attempts are not kept apart (policy enforcement, host firewall)
  const isolation = new IsolationGate(() => {
    const { kc, client, sandboxes } = connect();
    return probeIsolation(kc, client, sandboxes, probeSettings);
  });

  const connect = (): Cluster => {
    if (!options.target) throw new InfrastructureError('this process has no Kubernetes cluster configured (KADAI_KUBECONFIG)', false);
    if (!cluster) {
      try {
        const kc = kubeConfigFor(options.target);
        cluster = { kc, client: new ObjectClient(kc), sandboxes: new Sandboxes(kc, options.sandbox) };
      } catch (err) {
        throw new InfrastructureError(`cannot read the cluster's kubeconfig: ${(err as Error).message}`, false, { cause: err });
      }
    }
    return cluster;
  };

  const probe = (): Promise<Record<LabCapability, CapabilityStatus>> => {
    const { kc, sandboxes } = connect();
    const probing = probeLabCapabilities(kc, sandboxes, { ...(options.loadBalancerTimeoutMs ? { loadBalancerTimeoutMs: options.loadBalancerTimeoutMs } : {}), ...(options.nodeRuntime ? { nodeRuntime: options.nodeRuntime } : {}) });
    capabilities = probing;
    // a probe that failed, or could not ask about a capability, is not kept: the next look asks again
    probing.then(
      (found) => Object.values(found).some((c) => c.conclusive === false) && capabilities === probing && (capabilities = undefined),
      () => capabilities === probing && (capabilities = undefined),
    );
    return probing;
  };

  /** Why a lab cannot be graded on this cluster (the capabilities it needs and the cluster lacks), or undefined. */
  const lacking = async (def: KubernetesLabDefinition): Promise<{ reason: string; known: boolean } | undefined> => {
    if (!def.kubernetes.requires.length) return undefined;
    const found = await (capabilities ?? probe());
    const missing = def.kubernetes.requires.filter((c) => !found[c].available);
    if (!missing.length) return undefined;
    return { reason: `lab ${def.id} needs ${missing.map((c) => `${c} (${found[c].reason})`).join(', ')}, which this cluster does not offer`, known: missing.every((c) => found[c].conclusive !== false) };
  };
  /** A lab needing what the cluster lacks cannot be graded here: kadai's failure, naming the capability (retried only while the answer is not known). */
  const requireCapabilities = async (def: KubernetesLabDefinition) => {
    const lack = await lacking(def);
    if (lack) throw new InfrastructureError(lack.reason, !lack.known);
  };

  const reap = async (ctx: HousekeepingContext) => {
    const { kc } = connect();
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = (await core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value},${RUN_LABEL}` })).items;
    const runs: (GradingRun & { namespace: string })[] = [];
    for (const ns of namespaces) {
      const labels = ns.metadata?.labels ?? {};
      const token = Number(labels[RUN_LABEL]);
      if (ns.status?.phase !== 'Terminating' && labels[SUBMISSION_LABEL] && Number.isInteger(token)) runs.push({ submissionId: labels[SUBMISSION_LABEL], token, namespace: ns.metadata?.name ?? '' });
    }
    // runs whose lease is over (finished, requeued, taken over) go now; the rest when their namespace's lease runs out
    const released = new Set((await ctx.releasedRuns(runs)).map((r) => `${r.submissionId}/${r.token}`));
    const removed: string[] = [];
    for (const run of runs.filter((r) => released.has(`${r.submissionId}/${r.token}`))) {
      await core.deleteNamespace({ name: run.namespace, propagationPolicy: 'Background' }).then(
        () => removed.push(run.namespace),
        (err: unknown) => ctx.log.warn({ err, namespace: run.namespace }, 'could not remove a released attempt namespace'),
      );
    }
    const expired = await reapAttempts(kc);
    // after the namespaces: a node goes once its attempt namespace is gone or going
    const nodes = await reapAttemptNodes(connect().client);
    // a volume copy's directory once its namespace is gone altogether (a Terminating one's Pods may still write)
    const dirs = volumeDirs ? await volumeDirs.reap(async () => new Set((await core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value}` })).items.map((n) => n.metadata?.name ?? ''))) : { removed: [], failures: [] };
    ctx.reaped('namespaces', removed.length + expired.namespaces.length);
    ctx.reaped('volumes', expired.volumes.length);
    ctx.reaped('nodes', nodes.nodes.length);
    ctx.reaped('volumeDirs', dirs.removed.length);
    ctx.log.info({ released: removed, expired: expired.namespaces, volumes: expired.volumes, volumeDirs: dirs.removed, nodes: nodes.nodes, failures: [...expired.failures, ...nodes.failures, ...dirs.failures] }, 'kubernetes reaper ran');
  };

  return {
    kind: 'kubernetes',
    validate(lab, files) {
      const def = kubernetesDefinition(lab);
      checkStagesPlacement(def, readStages(def, files, VALIDATION_NAMESPACE));
      readDocuments(def, files);
      // a live cluster's credentials: a plugin-running kubeconfig or a malformed file is refused before anything runs
      for (const file of liveCredentialFiles(def.checks)) {
        const data = files.get(file);
        if (data !== undefined) readLiveCredentials(file, data);
      }
    },
    secretFiles: (lab) => liveCredentialFiles(kubernetesDefinition(lab).checks),
    async start(ctx) {
      const [found, isolated] = await Promise.all([probe(), isolation.current()]);
      ctx.log.info({ capabilities: found, isolation: isolated }, 'kubernetes capabilities probed');
      if (!isolated.available) ctx.log.error({ reason: isolated.reason }, 'attempts are not kept apart on this cluster: no Kubernetes lab is graded until they are');
      await reap(ctx);
    },
    async ready() {
      // the API server's version: answered to any identity, so it tests reachability, not rights
      await connect().kc.makeApiClient(VersionApi).getCode();
    },
    async unavailable(labs) {
      // only what is known to be missing: a capability the probe could not ask about is not a reason to refuse work
      const reasons = await Promise.all(labs.map(async (lab) => [lab.definition.id, await lacking(kubernetesDefinition(lab))] as const));
      return Object.fromEntries(reasons.flatMap(([id, lack]) => (lack?.known ? [[id, lack.reason]] : [])));
    },
    housekeeping: { intervalMs: options.reapIntervalMs ?? 60_000, run: reap },
    async grade(lab, input, ctx) {
      const def = kubernetesDefinition(lab);
      const { kc, client, sandboxes } = connect();
      await isolation.require();
      await requireCapabilities(def);
      const times = attemptTimes(def.timeLimitSeconds);
      const budget = Budget.root(times.workMs, ctx.signal);
      const { stepMs, step } = stepTimer();
      let attempt: AttemptNamespace | undefined;
      let nodes: AttemptNodes | undefined;
      let volumeCopies = false;
      try {
        const created = await step('namespace', () => sandboxes.create({ submissionId: input.submissionId, runId: String(ctx.token), leaseMs: times.deadlineMs + LEASE_MARGIN_MS, teachesResources: def.kubernetes.teachesResources, namespaces: def.kubernetes.namespaces, ...attemptStorage(def, options.sandbox) }));
        attempt = created;
        // fixed NodePorts, Ingress hosts, …: unique per attempt before the dry run (another attempt may hold them)
        const read = uniquePerAttempt(readStages(def, input.files, created.name, created.courseNamespaces), { namespace: created.name });
        checkStagesPlacement(def, read);
        const documents = readDocuments(def, input.files);
        // a scheduling lab's attempt gets its own nodes; its Pods are pinned to them before the dry run
        if (def.kubernetes.nodes.length) nodes = await step('nodes', () => AttemptNodes.create(client, created.name, def.kubernetes.nodes, { signal: budget.signal, realNodes: def.kubernetes.realNodes }));
        const stages = nodes ? pinStages(read, nodes) : read;
        copyVolumes(stages, created.name);
        volumeCopies = hasVolumeCopies(stages);
        const refusals = await step('dry-run', () => dryRunStages(created, stages.values(), budget.signal));
        const resources = new ResourceLookup(client, created.name, created.courseNamespaces);
        const evidence = new Evidence(client, resources);
        const applied = new Map<string, KubernetesObject[]>();
        const probePod = new ProbePod(kc, client, created.name, probeSettings);
        return await step('checks', () =>
          runChecks({
            checks: def.checks,
            registry: STEP_TYPES,
            visibility: def.visibility,
            budget,
            log: ctx.log,
            context: (check) => ({ ...check, kc, client, namespace: created.name, attempt: created, lab, definition: def, files: input.files, stages, documents, refusals, applied, resources, evidence, ...(nodes ? { nodes } : {}), probe: probePod, ...(options.nodeRuntime ? { runtime: options.nodeRuntime } : {}), ...(options.liveCluster ? { liveCluster: options.liveCluster } : {}) }),
          }),
        );
      } finally {
        budget.dispose();
        if (nodes) await step('nodes-cleanup', () => nodes!.destroy().catch((err: unknown) => ctx.log.warn({ err, namespace: attempt?.name }, 'attempt nodes cleanup failed; the reaper will remove them')));
        // a namespace that cannot be removed now is the reaper's (its lease runs out), never the student's failure
        if (attempt) await step('cleanup', () => attempt!.destroy().catch((err: unknown) => ctx.log.warn({ err, namespace: attempt?.name }, 'attempt namespace cleanup failed; the reaper will remove it')));
        // the namespace is going (no new Pod can start there): its volume copies' data goes with it
        if (attempt && volumeCopies && volumeDirs) await volumeDirs.remove(attempt.name).catch((err: unknown) => ctx.log.warn({ err, namespace: attempt?.name }, 'could not remove the attempt\'s volume directory; the reaper will'));
        ctx.log.info({ stepMs, namespace: attempt?.name, setupMs: attempt?.setupMs }, 'kubernetes attempt done');
      }
    },
  };
}

const clusterName = (target: ClusterTarget) => (target.kind === 'in-cluster' ? 'in-cluster' : target.context ? `${target.path}#${target.context}` : target.path);

/**
 * Several grading clusters behind one grader: each cluster keeps its own grader (connection,
 * capability probe, reaper); each attempt is graded on the cluster with the most free capacity
 * measured just before it starts. A cluster down is passed over (its start-up and housekeeping
 * failures are logged) until it answers again.
 */
function spreadOverClusters(clusters: { name: string; target: ClusterTarget; grader: Grader }[], limits: SandboxLimits | undefined): Grader {
  const configs = new Map<string, KubeConfig>();
  const capacityOf = async (c: { name: string; target: ClusterTarget }): Promise<ClusterCapacity> => {
    try {
      const kc = configs.get(c.name) ?? kubeConfigFor(c.target);
      configs.set(c.name, kc);
      return await measureCapacity(kc, limits);
    } catch (err) {
      return { error: `cannot read the kubeconfig: ${(err as Error).message}` };
    }
  };
  const onEach = async (what: string, ctx: HousekeepingContext, work: (grader: Grader, ctx: HousekeepingContext) => Promise<void> | undefined) => {
    const results = await Promise.allSettled(clusters.map((c) => work(c.grader, { ...ctx, log: ctx.log.child({ cluster: c.name }) })));
    results.forEach((r, i) => r.status === 'rejected' && ctx.log.warn({ err: r.reason, cluster: clusters[i]?.name }, `kubernetes grader ${what} failed on this cluster`));
  };
  const intervalMs = Math.min(...clusters.map((c) => c.grader.housekeeping?.intervalMs ?? 60_000));
  const [first] = clusters;
  if (!first) throw new Error('spreadOverClusters needs a cluster');
  return {
    kind: 'kubernetes',
    // validation reads the submission and the lab, never a cluster
    validate: (lab, files) => first.grader.validate(lab, files),
    secretFiles: (lab) => first.grader.secretFiles?.(lab) ?? [],
    start: (ctx) => onEach('start-up', ctx, (grader, c) => grader.start?.(c)),
    // ready while one cluster answers: attempts go to those that do
    async ready() {
      const answers = await Promise.allSettled(clusters.map((c) => c.grader.ready?.()));
      if (answers.some((a) => a.status === 'fulfilled')) return;
      throw new Error(answers.map((a, i) => `${clusters[i]?.name}: ${a.status === 'rejected' ? (a.reason as Error).message : ''}`).join('; '));
    },
    housekeeping: { intervalMs, run: (ctx) => onEach('housekeeping', ctx, (grader, c) => grader.housekeeping?.run(c)) },
    // unavailable only where no cluster can grade it
    async unavailable(labs) {
      const each = await Promise.all(clusters.map((c) => c.grader.unavailable?.(labs) ?? Promise.resolve({} as Record<string, string>)));
      return Object.fromEntries(Object.entries(each[0] ?? {}).filter(([id]) => each.every((u) => id in u)));
    },
    async grade(lab, input, ctx) {
      // only clusters offering what the lab needs (when none does, the first says why)
      const offering = (await Promise.all(clusters.map(async (c) => ((await c.grader.unavailable?.([lab]))?.[lab.definition.id] ? [] : [c])))).flat();
      const able = offering.length ? offering : [first];
      const capacities = await Promise.all(able.map(async (c) => ({ name: c.name, capacity: await capacityOf(c) })));
      const chosen = able[chooseCluster(capacities)] ?? first;
      ctx.log.info({ cluster: chosen.name, capacities }, 'grading cluster chosen by free capacity');
      return chosen.grader.grade(lab, input, ctx);
    },
  };
}

/**
 * The lab's storage quota where it is above the sandbox's default sum of claims (E09's four 1Gi
 * claims): vetting already bounds what a submission claims by it.
 */
function attemptStorage(def: KubernetesLabDefinition, sandbox: SandboxSettings | undefined): { storage?: string } {
  const lab = def.vetting?.quota.storage;
  const base = (sandbox?.limits ?? defaultLimits).storage;
  return lab !== undefined && (parseQuantity(lab) ?? 0) > (parseQuantity(base) ?? 0) ? { storage: lab } : {};
}
