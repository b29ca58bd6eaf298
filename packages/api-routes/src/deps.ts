import type { LiveCatalog } from '@kadai/catalog';
import type { Db, SubmissionChanges } from '@kadai/db';
import type { Graders } from '@kadai/graders';
import type { IntakeLimits } from '@kadai/intake';
import type { Logger, Metrics } from '@kadai/observability';
import type { LtiKeys } from '@kadai/lti';
import type { GradingQueues } from '@kadai/queue';
import type { UrlPolicy } from '@kadai/webhooks';
import type { RateLimits } from './rate-limit';

/** Everything the routes use, built once by apps/api. */
export interface ApiDeps {
  db: Db;
  queues: GradingQueues;
  labs: LiveCatalog;
  graders: Graders;
  changes: SubmissionChanges;
  log: Logger;
  metrics: Metrics;
  limits: IntakeLimits;
  /** How many submissions of one student to one lab may end in `error` without using an attempt. */
  freeErrorCap: number;
  /** How long token and assignment look-ups are cached (0 disables). */
  lookupCacheMs: number;
  /** How many valid tokens one api process keeps looked up (least recently used dropped first). */
  tokenCacheSize: number;
  rateLimits: RateLimits;
  /** LTI 1.3: kadai's signing keys (published at /.well-known/jwks.json). */
  lti: { keys: LtiKeys };
  /** Express's `trust proxy`: the proxies whose X-Forwarded-For names the client (undefined: none). */
  trustProxy?: string;
  /** Where course webhooks may point (checked at registration). */
  webhookPolicy: UrlPolicy;
  /** Throws when Redis does not answer; for /readyz. */
  pingRedis: () => Promise<void>;
  /** Problems of workers whose sandbox limits are not in place (empty: none); for /readyz. */
  unsafeSandboxes: () => Promise<string[]>;
  /** Labs no live worker can grade (e.g. a capability the cluster lacks), each with the reason. */
  unavailableLabs: () => Promise<Map<string, string>>;
}
