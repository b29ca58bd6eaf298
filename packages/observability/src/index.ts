export { createLogger, type Logger } from './logger';
export { createMetrics, type Metrics } from './metrics';
export { runService } from './service';
export { readiness, serveProbes, type Readiness, type ReadinessChecks } from './probes';
