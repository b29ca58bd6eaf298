import type { KubernetesLabDefinition, Lab, LabFiles } from '@kadai/catalog';
import { InfrastructureError, RejectedInputError, formatIssue, type InputIssue } from '@kadai/errors';
import { DEFAULT_MANIFEST_LIMITS, kubectlAllowList, labPolicy, parseKubectlCommands, permissivePolicy, vetManifestSources, type KubectlCommand, type LabPolicy, type VettedObject } from '@kadai/k8s-vetting';

/** One stage of a submission, vetted: what an `apply` check applies (files first, then commands). */
export interface Stage {
  id: string;
  /** The objects of the stage's files, in file and document order, each with its source: what is dry-run and applied (made unique per attempt where needed). */
  objects: VettedObject[];
  /** The same objects exactly as the student handed them in (`assert` with `source: submitted` reads these). */
  submitted: VettedObject[];
  /** The stage's command file, if it has one. */
  commandsFile?: string;
  /** Its kubectl commands, parsed against the lab's allow-list (never run by a shell). */
  commands: KubectlCommand[];
  /** The objects of files the commands name (`apply -f`, `delete -f`), vetted like the stage's own. */
  commandFiles: ReadonlyMap<string, VettedObject[]>;
}

/** A placeholder namespace for vetting before there is an attempt (the API's validation). */
export const VALIDATION_NAMESPACE = 'kadai-a-000000000000';

/** The course's other namespaces as an attempt would have them (`team1` → `<attempt>-team1`), for vetting before there is one. */
export const validationCourseNamespaces = (def: KubernetesLabDefinition): Map<string, string> => new Map(def.kubernetes.namespaces.map((n) => [n, `${VALIDATION_NAMESPACE}-${n}`]));

function only(files: ReadonlyMap<string, Buffer>, names: readonly string[]): Map<string, Buffer> {
  return new Map(names.map((name) => [name, files.get(name) as Buffer]));
}

/**
 * Vets every stage of a submission: manifests with `vetManifestSources` under the lab's policy,
 * commands with `parseKubectlCommands` under its allow-list. Every problem of every stage is
 * collected into one RejectedInputError (file, line, field), so nothing is applied.
 */
export function readStages(def: KubernetesLabDefinition, files: ReadonlyMap<string, Buffer>, namespace: string, courseNamespaces: ReadonlyMap<string, string> = validationCourseNamespaces(def)): Map<string, Stage> {
  const policy = labPolicy(def.vetting);
  const allowList = kubectlAllowList(def.vetting, def.kubernetes.nodes.map((n) => n.name));
  const stages = new Map<string, Stage>();
  const issues: InputIssue[] = [];
  let status: 413 | 422 = 422;
  const vet = (names: readonly string[], stageDefault?: string): VettedObject[] => {
    const missing = names.filter((name) => !files.has(name));
    for (const name of missing) issues.push({ file: name, message: 'this file is missing from the submission' });
    const present = names.filter((name) => files.has(name));
    if (!present.length) return [];
    try {
      return vetManifestSources(only(files, present), policy, namespace, { course: courseNamespaces, ...(stageDefault !== undefined ? { stageDefault } : {}) });
    } catch (err) {
      if (!(err instanceof RejectedInputError)) throw err;
      if (err.status === 413) status = 413;
      issues.push(...(err.issues.length ? err.issues : [{ message: err.message }]));
      return [];
    }
  };
  for (const stage of def.kubernetes.stages) {
    const objects = vet(stage.files, stage.namespace);
    let commands: KubectlCommand[] = [];
    const commandFiles = new Map<string, VettedObject[]>();
    if (stage.commands !== undefined) {
      const text = files.get(stage.commands);
      if (text === undefined) issues.push({ file: stage.commands, message: 'this file is missing from the submission' });
      else {
        try {
          commands = parseKubectlCommands(text.toString('utf8'), allowList, stage.commands);
        } catch (err) {
          if (!(err instanceof RejectedInputError)) throw err;
          issues.push(...err.issues);
        }
      }
      for (const command of commands) {
        const named = command.verb === 'apply' || command.verb === 'delete' ? command.files : [];
        for (const file of named) if (!commandFiles.has(file)) commandFiles.set(file, vet([file]));
      }
    }
    stages.set(stage.id, { id: stage.id, objects, submitted: objects, ...(stage.commands !== undefined ? { commandsFile: stage.commands } : {}), commands, commandFiles });
  }
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new RejectedInputError(`the submission cannot be applied: ${formatIssue(issues[0] as InputIssue)}${more}`, issues, status);
  }
  return stages;
}

/** kadai's own objects may use any image and workload kind; the rest of vetting (no privileged, no hostPath) still holds. */
const FIXTURE_POLICY: LabPolicy = { ...permissivePolicy, allowedImages: ['*'], quota: { maxReplicas: 50, cpu: '64', memory: '256Gi', storage: '1Ti' }, limits: DEFAULT_MANIFEST_LIMITS };

/** A fixture's content as the lab holds it (`fixtures/<file>`), or a failure saying it is missing. */
function fixtureContent(files: LabFiles, file: string): Buffer {
  const content = files.get(`fixtures/${file}`);
  if (!content) throw new Error(`fixtures/${file} does not exist`);
  return content;
}

/** A fixture's objects, in the attempt's namespace or the course's other ones (its problems are the lab's: reported by `kadai labs validate`). */
export function readFixture(files: LabFiles, file: string, namespace: string, courseNamespaces: ReadonlyMap<string, string> = new Map()): VettedObject[] {
  return vetManifestSources(new Map([[`fixtures/${file}`, fixtureContent(files, file)]]), FIXTURE_POLICY, namespace, { course: courseNamespaces });
}

/** readFixture at grading time, from the lab version graded with: a broken fixture is the lab's fault, never the student's. */
export function fixtureOrFail(lab: Lab, file: string, namespace: string, courseNamespaces: ReadonlyMap<string, string> = new Map()): VettedObject[] {
  try {
    return readFixture(lab.files, file, namespace, courseNamespaces);
  } catch (err) {
    throw new InfrastructureError(`fixture ${file} of ${lab.definition.id} version ${lab.version} cannot be read: ${(err as Error).message}`, false, { cause: err });
  }
}
