export { runJob } from './run-job';
export type { RunnerDeps, Delivery, Outcome } from './run-job';
