import type { KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError, StudentWorkError } from '@kadai/errors';
import { isNotFound, messageOf, statusOf, SUBMISSION_FIELD_MANAGER, type ObjectClient } from '@kadai/k8s-sandbox';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubectlCommand, ResourceRef as CommandTarget } from '@kadai/k8s-vetting';
import { apiVersionOf, describeObject } from './resources';
import { podSelectorOf } from './evidence';
import type { Stage } from './stages';

/** Longest wait for the Deployment controller to catch up with a change before `rollout undo` reads its revisions. */
const CONTROLLER_WAIT_MS = 30_000;

/**
 * What kubectl's write commands do, done through the API as one identity (the attempt's
 * ServiceAccount for a student's commands; the same code serves kadai's own `scale`, `setImage`
 * and `rolloutUndo` steps). Never a shell, never the kubectl binary.
 */
export class KubectlActions {
  constructor(
    private readonly client: ObjectClient,
    private readonly namespace: string,
  ) {}

  private ref(target: CommandTarget): KubernetesObject {
    return { apiVersion: apiVersionOf({ kind: target.kind }), kind: target.kind, metadata: { name: target.name, namespace: this.namespace } };
  }

  /** Runs one parsed command; a refusal by the API server is the student's (StudentWorkError naming the line). */
  async run(command: KubectlCommand, stage: Stage, signal?: AbortSignal): Promise<string> {
    try {
      return await this.dispatch(command, stage, signal);
    } catch (err) {
      throw commandError(command, err);
    }
  }

  private async dispatch(command: KubectlCommand, stage: Stage, signal?: AbortSignal): Promise<string> {
    switch (command.verb) {
      case 'apply': {
        const objects = command.files.flatMap((file) => stage.commandFiles.get(file) ?? []);
        for (const { object } of objects) await this.client.apply(object, { fieldManager: SUBMISSION_FIELD_MANAGER, ...(signal ? { signal } : {}) });
        return objects.map(({ object }) => `${describeObject(object)} applied`).join('\n');
      }
      case 'create deployment':
        await this.create(deploymentFor(command.name, command.image, command.replicas, command.port), signal);
        return `deployment.apps/${command.name} created`;
      case 'expose': {
        const target = await this.client.read(this.ref(command.target), signal);
        const selector = podSelectorOf(target) ?? (command.target.kind === 'Pod' ? target.metadata?.labels : undefined);
        if (!selector) throw new StudentWorkError(`${command.target.kind}/${command.target.name} has no selector or labels to expose`);
        const name = command.name ?? command.target.name;
        const targetPort = command.targetPort === undefined ? command.port : /^\d+$/.test(command.targetPort) ? Number(command.targetPort) : command.targetPort;
        await this.create(
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name, namespace: this.namespace, labels: { ...(target.metadata?.labels ?? {}) } },
            spec: { selector, ports: [{ port: command.port, targetPort, protocol: command.protocol ?? 'TCP' }], ...(command.type ? { type: command.type } : {}) },
          } as KubernetesObject,
          signal,
        );
        return `service/${name} exposed`;
      }
      case 'scale':
        await this.scale(command.target, command.replicas, signal);
        return `${command.target.kind.toLowerCase()}/${command.target.name} scaled`;
      case 'set image':
        await this.setImage(command.target, command.images, signal);
        return `${command.target.kind.toLowerCase()}/${command.target.name} image updated`;
      case 'rollout undo':
        return this.rolloutUndo(command.target, command.toRevision, signal);
      case 'label':
      case 'annotate':
        await this.relabel(command.target, command.verb === 'label' ? 'labels' : 'annotations', command.set, command.remove, command.overwrite, signal);
        return `${command.target.kind.toLowerCase()}/${command.target.name} ${command.verb === 'label' ? 'labeled' : 'annotated'}`;
      case 'taint': // vetting lets taint name only the attempt's nodes, which apply hands to @kadai/k8s-nodes
        throw new InfrastructureError(`kubectl taint reached the namespace's actions (line ${command.line})`, false);
      case 'delete': {
        const targets = [...command.targets.map((t) => this.ref(t)), ...command.files.flatMap((f) => (stage.commandFiles.get(f) ?? []).map((v) => v.object))];
        for (const target of targets) await this.client.delete(target, { propagationPolicy: 'Background', ...(command.now ? { gracePeriodSeconds: 1 } : {}), ...(signal ? { signal } : {}) });
        // as kubectl (--wait=true by default): the next command must not meet the objects still terminating
        if (command.wait !== false) for (const target of targets) await this.untilGone(target, signal);
        return targets.map((t) => `${describeObject(t)} deleted`).join('\n');
      }
    }
  }

  private async untilGone(object: KubernetesObject, signal?: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.client.read(object, signal);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await sleep(250, undefined, signal ? { signal } : {});
    }
  }

  private async create(object: KubernetesObject, signal?: AbortSignal): Promise<void> {
    const placed = { ...object, metadata: { ...object.metadata, namespace: this.namespace } };
    await this.client.request('POST', await this.client.uriOf(placed, 'create'), { query: { fieldManager: 'kubectl-create', fieldValidation: 'Strict' }, body: placed, ...(signal ? { signal } : {}) });
  }

  /** `kubectl scale`: the replicas of a Deployment, ReplicaSet or StatefulSet. */
  async scale(target: CommandTarget, replicas: number, signal?: AbortSignal): Promise<void> {
    await this.client.mergePatch(this.ref(target), { spec: { replicas } }, signal);
  }

  /** `kubectl set image`: containers (and init containers) by name, `*` for all. */
  async setImage(target: CommandTarget, images: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void> {
    const object = await this.client.read<KubernetesObject & { spec?: Record<string, unknown> }>(this.ref(target), signal);
    const podSpec = (target.kind === 'Pod' ? object.spec : (object.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec) as
      | { containers?: { name: string; image?: string }[]; initContainers?: { name: string; image?: string }[] }
      | undefined;
    const containers = [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])];
    const unknown = Object.keys(images).filter((name) => name !== '*' && !containers.some((c) => c.name === name));
    if (unknown.length) throw new StudentWorkError(`unable to find container named ${unknown.join(', ')} in ${target.kind}/${target.name}`);
    const patched = (list: { name: string; image?: string }[] | undefined) => list?.map((c) => ({ ...c, image: images[c.name] ?? images['*'] ?? c.image }));
    const spec = { ...(podSpec?.containers ? { containers: patched(podSpec.containers) } : {}), ...(podSpec?.initContainers ? { initContainers: patched(podSpec.initContainers) } : {}) };
    await this.client.mergePatch(this.ref(target), target.kind === 'Pod' ? { spec } : { spec: { template: { spec } } }, signal);
  }

  /**
   * `kubectl rollout undo`: the Deployment's Pod template set back to the ReplicaSet of the previous
   * revision (or `toRevision`), as kubectl does it.
   */
  async rolloutUndo(target: CommandTarget, toRevision?: number, signal?: AbortSignal): Promise<string> {
    if (target.kind !== 'Deployment') throw new StudentWorkError(`rollout undo works on Deployments, not ${target.kind}`);
    const deployment = await this.observed(target, signal);
    const uid = deployment.metadata?.uid;
    const sets = (await this.client.list<KubernetesObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } }>('apps/v1', 'ReplicaSet', this.namespace, signal ? { signal } : {})).filter((rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === uid),
    );
    const revision = (rs: KubernetesObject) => Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    sets.sort((a, b) => revision(b) - revision(a));
    const wanted = toRevision ? sets.find((rs) => revision(rs) === toRevision) : sets[1];
    if (!wanted?.spec?.template) throw new StudentWorkError(toRevision ? `revision ${toRevision} of deployment/${target.name} not found` : `deployment/${target.name} has no previous revision to roll back to`);
    const template = structuredClone(wanted.spec.template);
    delete template.metadata?.labels?.['pod-template-hash'];
    await this.client.request('PATCH', await this.client.uriOf(this.ref(target), 'patch'), {
      body: [{ op: 'replace', path: '/spec/template', value: template }],
      contentType: 'application/json-patch+json',
      ...(signal ? { signal } : {}),
    });
    return `deployment.apps/${target.name} rolled back (to revision ${revision(wanted)})`;
  }

  /**
   * The Deployment once its controller has seen its latest change: right after a `set image` the
   * new revision's ReplicaSet may not exist yet (a loaded controller takes seconds), and an undo
   * read then would find no previous revision — a person typing the next command never sees that.
   */
  private async observed(target: CommandTarget, signal?: AbortSignal): Promise<KubernetesObject & { spec?: { template?: unknown }; status?: { observedGeneration?: number } }> {
    const deadline = Date.now() + CONTROLLER_WAIT_MS;
    for (;;) {
      const deployment = await this.client.read<KubernetesObject & { spec?: { template?: unknown }; status?: { observedGeneration?: number } }>(this.ref(target), signal);
      if ((deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) || Date.now() > deadline) return deployment;
      await sleep(250, undefined, signal ? { signal } : {});
    }
  }

  private async relabel(target: CommandTarget, field: 'labels' | 'annotations', set: Readonly<Record<string, string>>, remove: readonly string[], overwrite: boolean, signal?: AbortSignal): Promise<void> {
    const object = await this.client.read(this.ref(target), signal);
    const current = (object.metadata?.[field] ?? {}) as Record<string, string>;
    const clash = Object.keys(set).find((key) => key in current && current[key] !== set[key]);
    if (clash && !overwrite) throw new StudentWorkError(`'${clash}' already has a value (${current[clash]}), and --overwrite is false`);
    const changes: Record<string, string | null> = { ...set };
    for (const key of remove) changes[key] = null;
    await this.client.mergePatch(this.ref(target), { metadata: { [field]: changes } }, signal);
  }
}

/** What `kubectl create deployment NAME --image=I [--replicas] [--port]` creates. */
function deploymentFor(name: string, image: string, replicas = 1, port?: number): KubernetesObject {
  const container = image.split('/').pop()?.split(/[:@]/)[0]?.replace(/[^a-z0-9-]/g, '-') || name;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: container, image, ...(port ? { ports: [{ containerPort: port }] } : {}) }] } },
    },
  } as KubernetesObject;
}

/** A refused command is the student's, naming its line; no answer or a 5xx is kadai's. */
function commandError(command: KubectlCommand, err: unknown): Error {
  if (err instanceof StudentWorkError) return new StudentWorkError(`line ${command.line} (kubectl ${command.verb}): ${err.message}`);
  const status = statusOf(err);
  if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429) {
    return new StudentWorkError(`line ${command.line} (kubectl ${command.verb}): ${messageOf(err)}`);
  }
  return new InfrastructureError(`kubectl ${command.verb} (line ${command.line}): ${messageOf(err)}`, true, { cause: err });
}
