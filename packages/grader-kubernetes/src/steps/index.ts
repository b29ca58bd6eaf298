import type { CheckRegistry } from '@kadai/checks';
import type { KubeCheckContext } from '../context';
import { absentStep } from './absent';
import { applyStep } from './apply';
import { assertStep } from './assert';
import { commandsStep } from './commands';
import { deletePodStep } from './delete-pod';
import { documentStep } from './document';
import { eventsStep } from './events';
import { everyNodeStep } from './every-node';
import { execStep } from './exec';
import { logsStep } from './logs';
import { nodeStep } from './node';
import { patchStep } from './patch';
import { persistStep } from './persist';
import { placementStep } from './placement';
import { restartedStep } from './restarted';
import { rolloutUndoStep } from './rollout-undo';
import { scaleStep } from './scale';
import { setImageStep } from './set-image';
import { httpStep } from './http';
import { hpaScaleOutStep } from './hpa-scale-out';
import { killContainerStep } from './kill-container';
import { liveClusterStep } from './live-cluster';
import { rolloutWatchStep } from './rollout-watch';
import { untaintNodesStep } from './untaint-nodes';
import { waitStep } from './wait';

/** Every step type a kubernetes lab may use, by its `type` in lab.yaml (one file each in this folder). */
export const STEP_TYPES: CheckRegistry<KubeCheckContext> = {
  apply: applyStep,
  assert: assertStep,
  absent: absentStep,
  wait: waitStep,
  patch: patchStep,
  scale: scaleStep,
  setImage: setImageStep,
  rolloutUndo: rolloutUndoStep,
  exec: execStep,
  deletePod: deletePodStep,
  persist: persistStep,
  events: eventsStep,
  logs: logsStep,
  commands: commandsStep,
  http: httpStep,
  rolloutWatch: rolloutWatchStep,
  killContainer: killContainerStep,
  hpaScaleOut: hpaScaleOutStep,
  restarted: restartedStep,
  placement: placementStep,
  node: nodeStep,
  document: documentStep,
  everyNode: everyNodeStep,
  untaintNodes: untaintNodesStep,
  liveCluster: liveClusterStep,
};
