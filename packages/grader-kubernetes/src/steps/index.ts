import type { CheckRegistry } from '@kadai/checks';
import type { KubeCheckContext } from '../context';
import { absentStep } from './absent';
import { applyStep } from './apply';
import { assertStep } from './assert';
import { waitStep } from './wait';

/** Every step type a kubernetes lab may use, by its `type` in lab.yaml (one file each in this folder). */
export const STEP_TYPES: CheckRegistry<KubeCheckContext> = {
  apply: applyStep,
  assert: assertStep,
  absent: absentStep,
  wait: waitStep,
};
