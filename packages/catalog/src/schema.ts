import { z } from 'zod';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes');

/** Every text a student reads exists in Japanese and English. */
export const localized = z.strictObject({ ja: z.string().min(1), en: z.string().min(1) });
export type Localized = z.infer<typeof localized>;

export const visibility = z.enum(['visible', 'hidden', 'after_due']);
export type Visibility = z.infer<typeof visibility>;

const submissionSpec = z.strictObject({
  maxBytes: z.number().int().positive().max(50 * 1024 * 1024),
  files: z.array(z.strictObject({ path: z.string().min(1), description: localized.optional() })).default([]),
});

const common = {
  id: slug,
  chapter: z.number().int().min(0).max(20),
  title: localized,
  instructions: localized,
  timeLimitSeconds: z.number().int().positive().max(3600),
  visibility: visibility.default('visible'),
  submission: submissionSpec,
};

const question = z
  .strictObject({
    id: slug,
    type: z.enum(['single', 'multiple']),
    points: z.number().positive(),
    scoring: z.enum(['exact', 'partial']).default('exact'),
    prompt: localized,
    choices: z.array(z.strictObject({ id: z.string().min(1), text: localized })).min(2),
    answer: z.array(z.string().min(1)).min(1),
    explanation: localized,
    decision: localized.optional(),
    visibility: visibility.optional(),
  })
  .superRefine((q, ctx) => {
    const ids = new Set(q.choices.map((c) => c.id));
    q.answer.forEach((a, i) => {
      if (!ids.has(a)) ctx.addIssue({ code: 'custom', path: ['answer', i], message: `no choice with id "${a}"` });
    });
    if (q.type === 'single' && q.answer.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: 'a single-choice question has exactly one answer' });
    }
  });
export type Question = z.infer<typeof question>;

/**
 * A check of a docker or kubernetes lab. Its `type` selects the check implementation in that kind's
 * grader, which validates the type-specific fields; the catalog only fixes what every check has.
 */
const check = z.looseObject({
  id: slug,
  type: z.string().min(1),
  title: localized,
  points: z.number().nonnegative(),
  visibility: visibility.optional(),
});
export type CheckSpec = z.infer<typeof check>;

function uniqueIds(items: { id: string }[], ctx: z.RefinementCtx, ...field: string[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [...field, i, 'id'], message: `duplicate id "${item.id}"` });
    seen.add(item.id);
  });
}

const quizLab = z
  .strictObject({ ...common, kind: z.literal('quiz'), questions: z.array(question).min(1) })
  .superRefine((lab, ctx) => uniqueIds(lab.questions, ctx, 'questions'));

/**
 * The kinds a Kubernetes lab may let students submit: the workload kinds the attempt's Role grants
 * (packages/k8s-sandbox). RBAC, cluster-scoped kinds, webhooks and CRDs cannot be listed at all.
 */
export const KUBERNETES_LAB_KINDS = [
  'Pod', 'Service', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'Deployment', 'ReplicaSet',
  'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget',
] as const;

/**
 * Kinds a lab that teaches resources (chapter 7) may let students create, in its second namespace
 * only (`kubernetes.namespaces`): the attempt's Role grants them there, never in the attempt's own.
 */
export const RESOURCE_POLICY_KINDS = ['ResourceQuota', 'LimitRange'] as const;

/** The kubectl commands a Kubernetes lab may have students hand in (packages/k8s-vetting). */
export const KUBECTL_VERBS = ['apply', 'create deployment', 'expose', 'scale', 'set image', 'rollout undo', 'label', 'annotate', 'delete', 'taint'] as const;

const quantity = z.string().regex(/^\d+(\.\d+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'a Kubernetes quantity such as 500m, 2 or 1Gi');

/** What vetting lets a Kubernetes lab's submission contain; without it, the course's permissive defaults. */
const kubernetesVetting = z.strictObject({
  kinds: z.array(z.enum([...KUBERNETES_LAB_KINDS, ...RESOURCE_POLICY_KINDS])).min(1),
  images: z.array(z.string().regex(/^[a-z0-9*][a-z0-9._/:@*-]*$/, 'an image reference or pattern such as nginx, nginx:1.*, kicbase/echo-server:1.0')).min(1),
  quota: z.strictObject({ maxReplicas: z.number().int().min(1).max(50), cpu: quantity, memory: quantity, storage: quantity }),
  commands: z.array(z.enum(KUBECTL_VERBS)).default([]),
  /** EX-5.2: the submission may declare hostPath PersistentVolumes; kadai creates a copy per attempt (packages/grader-kubernetes). */
  persistentVolumes: z
    .strictObject({ max: z.number().int().min(1).max(5), capacity: quantity, hostPathUnder: z.array(z.string().regex(/^\/[^\s]*$/, 'an absolute directory such as /data/')).min(1) })
    .optional(),
});
export type KubernetesVetting = z.infer<typeof kubernetesVetting>;

/** What a Kubernetes lab may need from the cluster beyond plain workloads; probed when the worker starts. */
export const KUBERNETES_CAPABILITIES = ['defaultStorageClass', 'ingressClass', 'loadBalancer', 'metricsServer', 'killContainer', 'ebsStorageClass', 'efsStorageClass', 'albIngressClass'] as const;

const labelKey = z.string().regex(/^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/, 'a label key such as disktype or example.com/zone');
const labelValue = z.string().regex(/^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/, 'a label value (63 characters at most: letters, digits, - _ .)');

/**
 * A fake node kadai creates for each attempt of a scheduling lab (chapter 6), named as the course
 * names it (`minikube-m02`): the student's label/taint commands and nodeSelectors use that name.
 * See packages/k8s-nodes/README.md.
 */
const attemptNode = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$/, 'a node name of at most 30 characters: a-z, 0-9 and -'),
  labels: z.record(labelKey, labelValue).default({}),
  taints: z.array(z.strictObject({ key: labelKey, value: labelValue.optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) })).default([]),
});
export type AttemptNodeSpec = z.infer<typeof attemptNode>;

/**
 * What of a submission is applied when (stages, referenced by `apply` checks), kadai's own objects
 * for the lab (fixtures, `labs/<id>/fixtures/<file>`), and what the lab needs from the cluster.
 * See packages/grader-kubernetes/README.md.
 */
const kubernetesSection = z.strictObject({
  requires: z.array(z.enum(KUBERNETES_CAPABILITIES)).default([]),
  teachesResources: z.boolean().default(false),
  stages: z
    .array(
      z
        .strictObject({
          id: slug,
          files: z.array(z.string().min(1)).default([]),
          commands: z.string().min(1).optional(),
          /** The files' objects without a namespace go to this one of `namespaces` (as `kubectl apply -f … -n team1`). */
          namespace: z.string().min(1).optional(),
        })
        .refine((stage) => stage.files.length > 0 || stage.commands !== undefined, 'a stage has files, commands or both'),
    )
    .min(1),
  fixtures: z.array(z.strictObject({ id: slug, file: z.string().regex(/^[\w.-]+$/, 'a file name in the lab\'s fixtures/ folder') })).default([]),
  /**
   * Submitted files taken as data, never applied: YAML or JSON parsed and checked by `document` steps —
   * what has no stand-in on the grading cluster (an IAM policy, an eksctl ClusterConfig, an AWS-only object).
   */
  documents: z.array(z.string().min(1)).default([]),
  nodes: z.array(attemptNode).max(5).default([]),
  /**
   * With nodes: the attempt's Pods may also run on the cluster's real (non-kwok) nodes, as every
   * lab's Pods do — a DaemonSet lab (E10), whose "every node" includes the real one.
   */
  realNodes: z.boolean().default(false),
  /**
   * Namespaces the course creates besides `default` (`team1`, chapter 7): kadai makes one more
   * namespace per name for each attempt, guarded like the attempt's own; `metadata.namespace: team1`
   * is mapped to it and a `Namespace` document of that name means "it exists" (never applied).
   */
  namespaces: z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/, 'a namespace name of at most 20 characters: a-z, 0-9 and -').refine((n) => n !== 'default' && !n.startsWith('kube-'), 'the course\'s own namespace, not default or kube-*')).max(2).default([]),
}).refine((section) => !section.realNodes || section.nodes.length > 0, { message: 'realNodes goes with nodes (a lab without nodes runs on the real nodes anyway)', path: ['realNodes'] });
export type KubernetesSection = z.infer<typeof kubernetesSection>;

const checkedShape = { ...common, checks: z.array(check).min(1) };
const uniqueChecks = (lab: { checks: { id: string }[] }, ctx: z.RefinementCtx) => uniqueIds(lab.checks, ctx, 'checks');
const dockerLab = z.looseObject({ ...checkedShape, kind: z.literal('docker') }).superRefine(uniqueChecks);
const kubernetesLab = z
  .looseObject({ ...checkedShape, kind: z.literal('kubernetes'), vetting: kubernetesVetting.optional(), kubernetes: kubernetesSection, decision: localized.optional() })
  .superRefine((lab, ctx) => {
    uniqueChecks(lab, ctx);
    uniqueIds(lab.kubernetes.stages, ctx, 'kubernetes', 'stages');
    uniqueIds(lab.kubernetes.fixtures, ctx, 'kubernetes', 'fixtures');
    const nodeNames = new Set<string>();
    lab.kubernetes.nodes.forEach((node, i) => {
      if (nodeNames.has(node.name)) ctx.addIssue({ code: 'custom', path: ['kubernetes', 'nodes', i, 'name'], message: `duplicate node "${node.name}"` });
      nodeNames.add(node.name);
    });
    lab.kubernetes.namespaces.forEach((name, i) => {
      if (lab.kubernetes.namespaces.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['kubernetes', 'namespaces', i], message: `duplicate namespace "${name}"` });
    });
    lab.kubernetes.stages.forEach((stage, i) => {
      if (stage.namespace !== undefined && !lab.kubernetes.namespaces.includes(stage.namespace)) ctx.addIssue({ code: 'custom', path: ['kubernetes', 'stages', i, 'namespace'], message: `"${stage.namespace}" is not one of kubernetes.namespaces` });
    });
    const policyKinds = lab.vetting?.kinds.filter((k) => (RESOURCE_POLICY_KINDS as readonly string[]).includes(k)) ?? [];
    if (policyKinds.length && !(lab.kubernetes.teachesResources && lab.kubernetes.namespaces.length)) ctx.addIssue({ code: 'custom', path: ['vetting', 'kinds'], message: `${policyKinds.join(', ')} need kubernetes.teachesResources and kubernetes.namespaces (students create them in the lab's own namespace)` });
    // every file a student hands in is applied (or run) by some stage: a file no stage names is a lab mistake
    const staged = new Set([...lab.kubernetes.stages.flatMap((s) => [...s.files, ...(s.commands ? [s.commands] : [])]), ...lab.kubernetes.documents]);
    lab.submission.files.forEach((f, i) => {
      if (!staged.has(f.path)) ctx.addIssue({ code: 'custom', path: ['submission', 'files', i, 'path'], message: `"${f.path}" is in no stage of kubernetes.stages nor in kubernetes.documents` });
    });
  });

export const labDefinition = z.discriminatedUnion('kind', [quizLab, dockerLab, kubernetesLab]);
export type LabDefinition = z.infer<typeof labDefinition>;
export type QuizLabDefinition = Extract<LabDefinition, { kind: 'quiz' }>;
export type LabKind = LabDefinition['kind'];
export type KubernetesLabDefinition = Extract<LabDefinition, { kind: 'kubernetes' }>;
export const LAB_KINDS: readonly LabKind[] = ['quiz', 'docker', 'kubernetes'];

/**
 * A wrong variant's `expect.yaml`: the checks it must fail (`fails`), the checks that cannot run
 * because of that mistake and must be `skipped` (`skipped`), or `rejected: true` when intake or the
 * grader must refuse the submission outright. Every other check must pass. With `base: solution`
 * the variant folder holds only the files that differ from the solution (and `remove` lists
 * solution files it lacks).
 */
export const expectationFor = (checkIds: ReadonlySet<string>) =>
  z.strictObject({
    fails: z.array(slug).default([]),
    skipped: z.array(slug).default([]),
    rejected: z.boolean().default(false),
    base: z.literal('solution').optional(),
    remove: z.array(z.string().min(1)).default([]),
  })
  .superRefine((e, ctx) => {
    if (e.rejected && (e.fails.length > 0 || e.skipped.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['rejected'], message: 'a rejected variant is not graded: it names no fails or skipped checks' });
    }
    if (!e.rejected && e.fails.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['fails'], message: 'name at least one check the variant must fail (or say rejected: true)' });
    }
    for (const key of ['fails', 'skipped'] as const) {
      e[key].forEach((id, index) => {
        if (!checkIds.has(id)) ctx.addIssue({ code: 'custom', path: [key, index], message: `no check with id "${id}" in this lab` });
      });
    }
    e.skipped.forEach((id, index) => {
      if (e.fails.includes(id)) ctx.addIssue({ code: 'custom', path: ['skipped', index], message: `"${id}" cannot be both failed and skipped` });
    });
  });
