import { buildCheck } from './build';
import { containerCheck } from './container';
import { httpCheck } from './http';
import { imageCheck } from './image';
import { logsCheck } from './logs';
import { reachCheck } from './reach';
import { restartCheck } from './restart';
import { startOrderCheck } from './start-order';
import type { CheckType } from './types';

/** Every check type a docker lab may use, by its `type` in lab.yaml. */
export const CHECK_TYPES: Record<string, CheckType<never>> = {
  build: buildCheck as CheckType<never>,
  image: imageCheck as CheckType<never>,
  container: containerCheck as CheckType<never>,
  http: httpCheck as CheckType<never>,
  restart: restartCheck as CheckType<never>,
  reach: reachCheck as CheckType<never>,
  'start-order': startOrderCheck as CheckType<never>,
  logs: logsCheck as CheckType<never>,
};

export type { CheckContext, CheckType, Outcome } from './types';
