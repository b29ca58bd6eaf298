export { gradingJob, queueName } from './job';
export type { GradingJob } from './job';
export { GradingQueues } from './queues';
export type { RetryPolicy } from './queues';
export { startSweeper } from './sweeper';
export type { SweeperOptions } from './sweeper';
export { publishWorkerSafety, withdrawWorkerSafety, unsafeWorkers } from './worker-safety';
export { publishLabAvailability, withdrawLabAvailability, unavailableLabs, type LabAvailability } from './lab-availability';
export type { WorkerSafety } from './worker-safety';
