import { fields, loadConfig, serviceEnv, webhookUrlEnv } from '@kadai/config';
import { DEFAULT_LIMITS } from '@kadai/intake';
import { z } from 'zod';

const schema = z
  .object({
    ...serviceEnv,
    KADAI_API_HOST: z.string().default('127.0.0.1'),
    KADAI_API_PORT: fields.port.default(8080),
    KADAI_MAX_UPLOAD_BYTES: fields.positiveInt.default(DEFAULT_LIMITS.maxUploadBytes),
    KADAI_LOOKUP_CACHE_MS: fields.milliseconds.default(5_000),
    KADAI_DB_POOL_SIZE: fields.positiveInt.default(10),
    // The reference-parsers helper validation reads Compose files and Dockerfiles with; default: the build of the current sources
    KADAI_PARSERS_BIN: z.string().min(1).optional(),
    KADAI_FREE_ERROR_CAP: fields.positiveInt.default(5),
    KADAI_TOKEN_CACHE_SIZE: fields.positiveInt.default(10_000),
    /** Express `trust proxy`: the reverse proxies whose X-Forwarded-For names the client, e.g. "loopback". */
    KADAI_TRUST_PROXY: z.string().min(1).optional(),
    // Rate limits, per window. A classroom behind one NAT shares an address: the address budgets are wide.
    KADAI_RATE_WINDOW_SECONDS: fields.positiveInt.default(60),
    KADAI_RATE_ADDRESS_SUBMISSIONS: fields.positiveInt.default(600),
    KADAI_RATE_ADDRESS_READS: fields.positiveInt.default(6_000),
    KADAI_RATE_ADDRESS_UNKNOWN_TOKENS: fields.positiveInt.default(60),
    KADAI_RATE_STUDENT_SUBMISSIONS: fields.positiveInt.default(30),
    KADAI_RATE_STUDENT_READS: fields.positiveInt.default(600),
    KADAI_RATE_STAFF_SUBMISSIONS: fields.positiveInt.default(600),
    KADAI_RATE_STAFF_READS: fields.positiveInt.default(6_000),
    ...webhookUrlEnv,
    // LTI 1.3: how long one of kadai's signing keys signs before the next takes over, and how often grades are sent to the platforms
    KADAI_LTI_KEY_ROTATION_DAYS: fields.positiveInt.default(30),
    KADAI_LTI_PASSBACK_MS: fields.milliseconds.default(5_000),
  })
  .transform((env) => ({
    databaseUrl: env.KADAI_DATABASE_URL,
    redisUrl: env.KADAI_REDIS_URL,
    queuePrefix: env.KADAI_QUEUE_PREFIX,
    labsDir: env.KADAI_LABS_DIR,
    logLevel: env.KADAI_LOG_LEVEL,
    host: env.KADAI_API_HOST,
    port: env.KADAI_API_PORT,
    limits: { ...DEFAULT_LIMITS, maxUploadBytes: env.KADAI_MAX_UPLOAD_BYTES },
    lookupCacheMs: env.KADAI_LOOKUP_CACHE_MS,
    freeErrorCap: env.KADAI_FREE_ERROR_CAP,
    tokenCacheSize: env.KADAI_TOKEN_CACHE_SIZE,
    retry: { attempts: env.KADAI_RETRY_ATTEMPTS, backoffMs: env.KADAI_RETRY_BACKOFF_MS },
    dbPoolSize: env.KADAI_DB_POOL_SIZE,
    parsersBin: env.KADAI_PARSERS_BIN,
    trustProxy: env.KADAI_TRUST_PROXY,
    // the api's own listening address is always kadai's own, whatever else is configured
    webhookPolicy: { allowedPrivate: env.KADAI_WEBHOOK_ALLOW_PRIVATE, selfOrigins: [...env.KADAI_PUBLIC_URLS, `http://${env.KADAI_API_HOST.includes(':') ? `[${env.KADAI_API_HOST}]` : env.KADAI_API_HOST}:${env.KADAI_API_PORT}`] },
    lti: { keyRotationMs: env.KADAI_LTI_KEY_ROTATION_DAYS * 24 * 3600 * 1000, passbackIntervalMs: env.KADAI_LTI_PASSBACK_MS },
    rateLimits: {
      windowSeconds: env.KADAI_RATE_WINDOW_SECONDS,
      perAddress: { submissions: env.KADAI_RATE_ADDRESS_SUBMISSIONS, reads: env.KADAI_RATE_ADDRESS_READS },
      authFailuresPerAddress: env.KADAI_RATE_ADDRESS_UNKNOWN_TOKENS,
      perStudent: { submissions: env.KADAI_RATE_STUDENT_SUBMISSIONS, reads: env.KADAI_RATE_STUDENT_READS },
      perStaff: { submissions: env.KADAI_RATE_STAFF_SUBMISSIONS, reads: env.KADAI_RATE_STAFF_READS },
    },
  }));

export type ApiConfig = z.infer<typeof schema>;
export const readApiConfig = (env: NodeJS.ProcessEnv = process.env): ApiConfig => loadConfig(schema, env);
