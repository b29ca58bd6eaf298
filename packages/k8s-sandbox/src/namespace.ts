import { AuthenticationV1Api, CoreV1Api, KubeConfig, KubernetesObject, KubernetesObjectApi, PatchStrategy, V1PolicyRule, type V1ServiceAccount } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { ImpersonatingApplier, type ApplyOptions } from './apply';
import type { ObjectClient } from './client';
import { Cleaner } from './cleaner';
import { infrastructureError, isNotFound, messageOf, statusOf } from './errors';
import { attemptIdentity, attemptRules, ClusterNetwork, defaultClusterNetwork, defaultLimits, networkPolicy, QUOTA_NAME, quotaObjects, resourcePolicyRules, SandboxLimits, workerAccess } from './guards';
import { ATTEMPT_ACCOUNT, checkLabelValue, LEASE_ANNOTATION, MANAGED_BY, NAMESPACE_PREFIX, RUN_LABEL, SUBMISSION_LABEL } from './labels';

export interface AttemptRequest {
  submissionId: string;
  runId: string;
  /** The reaper may remove the namespace after this long unless the lease is renewed. */
  leaseMs: number;
  /** See GuardOptions.teachesResources. */
  teachesResources?: boolean;
  /**
   * The course's own namespaces besides `default` (chapter 7's `team1`): each becomes one more
   * namespace of this attempt, `<attempt>-<name>`, labelled, leased, guarded and removed like the
   * attempt's own, where the attempt's ServiceAccount has the same rights (and, in a lab that
   * teaches resources, may create ResourceQuotas and LimitRanges).
   */
  namespaces?: readonly string[];
  /** The sum of the attempt's claims, where the lab needs more than kadai's default (E09: a StatefulSet's four 1Gi claims). */
  storage?: string;
}

export interface SandboxSettings {
  limits?: SandboxLimits;
  network?: ClusterNetwork;
  /** Longest wait for new RBAC bindings to take effect and the quota to be counted. */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes attempt namespaces on one cluster, as the worker's own identity (ideally the fenced
 * `kadai-worker`, see infra/cluster/manifests/kadai-worker.yaml).
 */
export class Sandboxes {
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;
  private readonly limits: SandboxLimits;
  private readonly network: ClusterNetwork;
  private readonly readyTimeoutMs: number;
  private worker?: string;

  constructor(
    private readonly kc: KubeConfig,
    settings: SandboxSettings = {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.limits = settings.limits ?? defaultLimits;
    this.network = settings.network ?? defaultClusterNetwork;
    this.readyTimeoutMs = settings.readyTimeoutMs ?? 15_000;
  }

  /** The user name the API server knows the worker by (the subject of its RoleBinding in each attempt). */
  async workerName(): Promise<string> {
    if (this.worker === undefined) {
      const review = await this.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      const name = review.status?.userInfo?.username;
      if (!name) throw new Error('the API server did not say who the worker is (SelfSubjectReview)');
      this.worker = name;
    }
    return this.worker;
  }

  /**
   * Creates the attempt's namespace with its guards and waits until it can take the submission.
   * On any failure what was made is removed again and an InfrastructureError is thrown.
   */
  async create(request: AttemptRequest): Promise<AttemptNamespace> {
    const name = NAMESPACE_PREFIX + randomBytes(6).toString('hex');
    const cleaner = new Cleaner();
    const started = Date.now();
    try {
      const worker = await this.workerName();
      const teachesResources = request.teachesResources ?? false;
      const courseNamespaces = new Map<string, string>();
      // made first (no request): the attempt's access reviews go over its own client, whose connection its dry run then reuses
      const attempt = new AttemptNamespace(this.kc, this.core, this.objects, name, cleaner, 0, courseNamespaces);
      await this.guarded(name, request, cleaner, worker, attempt.asAttempt, { accountNamespace: name, teachesResources, rules: attemptRules });
      for (const course of request.namespaces ?? []) {
        const extra = `${name}-${course}`;
        await this.guarded(extra, request, cleaner, worker, attempt.asAttempt, { accountNamespace: name, teachesResources, rules: teachesResources ? [...attemptRules, ...resourcePolicyRules] : attemptRules });
        courseNamespaces.set(course, extra);
      }
      attempt.setupMs = Date.now() - started;
      return attempt;
    } catch (err) {
      await cleaner.run();
      throw infrastructureError(`setting up attempt namespace ${name}`, err);
    }
  }

  /**
   * One namespace of the attempt with kadai's guards, ready to take the submission: the worker's
   * way in, quota (and LimitRange), NetworkPolicy, the attempt account's Role and binding (the
   * account lives in `accountNamespace`, the attempt's own), the `default` ServiceAccount.
   */
  private async guarded(name: string, request: AttemptRequest, cleaner: Cleaner, worker: string, asAttempt: ObjectClient, o: { accountNamespace: string; teachesResources: boolean; rules: V1PolicyRule[] }): Promise<void> {
    const labels = {
      [MANAGED_BY.key]: MANAGED_BY.value,
      [SUBMISSION_LABEL]: checkLabelValue('submission id', request.submissionId),
      [RUN_LABEL]: checkLabelValue('run id', request.runId),
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/warn': 'restricted',
    };
    // retried like the guards below: an API server just (re)started refuses the worker until its
    // RBAC cache holds the worker's ClusterRole (seen by the chaos suite after killing the API server)
    await this.createOnceAuthorized(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations: { [LEASE_ANNOTATION]: new Date(Date.now() + request.leaseMs).toISOString() } } },
      Date.now() + this.readyTimeoutMs,
    );
    cleaner.add(`namespace ${name}`, () => this.core.deleteNamespace({ name, propagationPolicy: 'Background' }));
    // first the worker's own way in: everything else in the namespace needs it
    await this.objects.create(workerAccess(name, worker));
    const [account, role, binding] = attemptIdentity(name, o.accountNamespace, o.rules);
    const guards = [
      ...quotaObjects(name, { limits: request.storage ? { ...this.limits, storage: request.storage } : this.limits, network: this.network, teachesResources: o.teachesResources }),
      networkPolicy(name, this.network),
      ...(o.accountNamespace === name ? [account] : []),
      role,
      // with its Role, not after it: until the Role is in RBAC's cache the binding is refused (escalation check) and retried
      binding,
      defaultAccount(name),
    ];
    // all at once, as soon as the worker's RoleBinding is in effect: each is retried while RBAC's cache trails the binding
    // (asking first with an access review cost a round trip every time; the retry costs one only when the cache is late)
    const deadline = Date.now() + this.readyTimeoutMs;
    await Promise.all(guards.map((g) => this.createOnceAuthorized(g, deadline)));
    // the authorizer and quota admission work from caches that trail the writes above: until
    // they catch up the student's first objects would be refused for kadai's reasons
    await Promise.all([
      this.until(`the attempt's RoleBinding in ${name} in effect`, () => allowed(asAttempt, { namespace: name, verb: 'patch', resource: 'pods' })),
      this.until(`the quota of ${name} counted`, async () => !!(await this.core.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace: name })).status?.hard),
    ]);
  }

  /**
   * Creates one of kadai's objects (a new namespace, or one in it), again while the API server
   * refuses it only because RBAC's cache does not hold a change made a moment ago yet (the worker's
   * RoleBinding, or the Role a binding grants) or, after the API server started, the worker's own rights. Any other refusal is thrown at once. A conflict means it is there
   * already: the `default` ServiceAccount's controller came first, or a try that looked lost went through.
   */
  private async createOnceAuthorized(object: KubernetesObject, deadline: number): Promise<void> {
    for (;;) {
      try {
        await this.objects.create(object);
        return;
      } catch (err) {
        if (statusOf(err) === 409) return;
        if (!rbacNotYetInEffect(err, object) || Date.now() > deadline) throw err;
        await sleep(RETRY_MS);
      }
    }
  }

  private async until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${this.readyTimeoutMs} ms waiting for ${what}`);
      await sleep(RETRY_MS);
    }
  }
}

/** How soon a wait for the API server's caches asks again. */
const RETRY_MS = 20;

/**
 * A refusal that only says RBAC does not yet know a binding or Role written a moment ago: a 403
 * "cannot create resource …" (the worker's own binding), "role … not found" or "attempting to
 * grant RBAC permissions not currently held" (a binding whose Role is not cached yet), or the 404
 * the API server answers creating a RoleBinding whose Role its cache does not hold yet. Not the
 * admission fence's or a quota's refusal.
 */
export function rbacNotYetInEffect(err: unknown, object?: KubernetesObject): boolean {
  const message = messageOf(err);
  if (statusOf(err) === 404) return object?.kind === 'RoleBinding' && /not found/.test(message);
  if (statusOf(err) !== 403) return false;
  return !/ValidatingAdmissionPolicy|exceeded quota/.test(message) && /cannot \S+ resource|not found|permissions not currently held/.test(message);
}

/** Pods need the `default` ServiceAccount, which a controller makes a moment after the namespace: kadai makes it with the guards. */
const defaultAccount = (namespace: string): V1ServiceAccount => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });

/** Whether the client's identity may do this (a SelfSubjectAccessReview, raw: it goes over the caller's own connection). */
async function allowed(client: ObjectClient, resourceAttributes: Record<string, string>): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
  });
  return review.status?.allowed === true;
}

/** One attempt's namespace: apply the submission into it as the attempt's account, then destroy it. */
export class AttemptNamespace {
  readonly serviceAccount: string;
  private readonly applier: ImpersonatingApplier;

  constructor(
    kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly objects: KubernetesObjectApi,
    readonly name: string,
    /** Undo steps; the namespace's deletion is the first registered, so it runs last. */
    readonly cleaner: Cleaner,
    /** How long create() took, namespace to ready (set once it is). */
    public setupMs: number,
    /** The course's other namespaces (`team1`) → this attempt's namespace standing for each. */
    readonly courseNamespaces: ReadonlyMap<string, string> = new Map(),
  ) {
    this.serviceAccount = `system:serviceaccount:${name}:${ATTEMPT_ACCOUNT}`;
    this.applier = new ImpersonatingApplier(kc, this.serviceAccount, name);
  }

  /** Server-side apply as the attempt's ServiceAccount (see ImpersonatingApplier). */
  apply(objects: readonly KubernetesObject[], options: ApplyOptions = {}): Promise<KubernetesObject[]> {
    return this.applier.apply(objects, options);
  }

  /** A client whose every request is the attempt's ServiceAccount's (for what a student's commands do). */
  get asAttempt(): ObjectClient {
    return this.applier.client;
  }

  /** The attempt's ServiceAccount as a KubeConfig, for client-node's streaming APIs (exec). */
  get attemptConfig(): KubeConfig {
    return this.applier.kubeConfig;
  }

  async renewLease(leaseMs: number): Promise<void> {
    const annotations = { [LEASE_ANNOTATION]: new Date(Date.now() + leaseMs).toISOString() };
    for (const name of [this.name, ...this.courseNamespaces.values()]) {
      await this.objects.patch({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    }
  }

  /**
   * Runs the cleaner (which deletes the namespace last) and, with `wait`, waits until the namespace
   * is gone. Failures are thrown as one infrastructure error after every step has run.
   */
  async destroy(options: { waitMs?: number } = {}): Promise<void> {
    const failures = await this.cleaner.run();
    if (failures.length) throw infrastructureError(`cleaning up ${this.name}`, new Error(failures.join('; ')));
    if (!options.waitMs) return;
    const deadline = Date.now() + options.waitMs;
    while (Date.now() < deadline) {
      try {
        await this.core.readNamespace({ name: this.name });
      } catch (err) {
        if (isNotFound(err)) return;
        throw infrastructureError(`waiting for ${this.name} to go`, err);
      }
      await sleep(250);
    }
    throw infrastructureError(`waiting for ${this.name} to go`, new Error(`still there after ${options.waitMs} ms`));
  }
}
