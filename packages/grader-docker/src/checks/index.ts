import type { CheckRegistry } from '@kadai/checks';
import { buildCheck } from './build';
import { containerCheck } from './container';
import { httpCheck } from './http';
import { imageCheck } from './image';
import { logsCheck } from './logs';
import { reachCheck } from './reach';
import { restartCheck } from './restart';
import { startOrderCheck } from './start-order';
import type { DockerCheckContext } from './types';

/** Every check type a docker lab may use, by its `type` in lab.yaml. */
export const CHECK_TYPES: CheckRegistry<DockerCheckContext> = {
  build: buildCheck,
  image: imageCheck,
  container: containerCheck,
  http: httpCheck,
  restart: restartCheck,
  reach: reachCheck,
  'start-order': startOrderCheck,
  logs: logsCheck,
};

export type { DockerCheckContext } from './types';
