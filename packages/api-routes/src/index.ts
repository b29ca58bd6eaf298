export { apiDocument, createApp } from './app';
export type { ApiDeps } from './deps';
export { RateLimits } from './rate-limit';
