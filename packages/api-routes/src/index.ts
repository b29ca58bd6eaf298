export { createApp } from './app';
export type { ApiDeps } from './deps';
export { openApiDocument } from './openapi';
export { toCsv } from './routes/courses';
