import type { KubernetesLabDefinition } from '@kadai/catalog';
import { AttemptNodes, checkPlacement } from '@kadai/k8s-nodes';
import type { Stage } from './stages';

const stageObjects = (stage: Stage) => [...stage.objects, ...[...stage.commandFiles.values()].flat()];

/** Where the submission's Pods ask to run, judged for every lab (see @kadai/k8s-nodes placementIssues); rejects with file and line. */
export function checkStagesPlacement(def: KubernetesLabDefinition, stages: ReadonlyMap<string, Stage>): void {
  checkPlacement([...stages.values()].flatMap(stageObjects), def.kubernetes.nodes.map((n) => n.name));
}

/** The stages with every Pod (template) pinned to the attempt's own nodes: what is dry-run and applied. */
export function pinStages(stages: ReadonlyMap<string, Stage>, nodes: AttemptNodes): Map<string, Stage> {
  return new Map(
    [...stages].map(([id, stage]) => [id, { ...stage, objects: nodes.pin(stage.objects), commandFiles: new Map([...stage.commandFiles].map(([file, objects]) => [file, nodes.pin(objects)])) }]),
  );
}
