import { fields, loadConfig, serviceEnv } from '@kadai/config';
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
    retry: { attempts: env.KADAI_RETRY_ATTEMPTS, backoffMs: env.KADAI_RETRY_BACKOFF_MS },
    dbPoolSize: env.KADAI_DB_POOL_SIZE,
    parsersBin: env.KADAI_PARSERS_BIN,
  }));

export type ApiConfig = z.infer<typeof schema>;
export const readApiConfig = (env: NodeJS.ProcessEnv = process.env): ApiConfig => loadConfig(schema, env);
