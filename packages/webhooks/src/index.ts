export { newWebhookSecret, signedHeaders } from './signing';
export { checkWebhookUrl, refusedAddress } from './url-policy';
export type { UrlPolicy } from './url-policy';
export { sendMessage, parseRetryAfter } from './send';
export { afterAttempt, DEFAULT_RETRY_SCHEDULE_MS } from './retry-policy';
export { startWebhookDelivery } from './delivery';
export type { DeliveryOptions } from './delivery';
