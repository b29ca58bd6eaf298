import { z } from 'zod';

/**
 * Each app declares one zod schema for its whole configuration and parses the environment once at
 * start-up with `loadConfig`; packages receive plain values and never read `process.env`.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Shared field schemas, so every app spells the same setting the same way. */
export const fields = {
  databaseUrl: z.string().url().default('postgres://kadai:kadai@127.0.0.1:5432/kadai'),
  redisUrl: z.string().url().default('redis://127.0.0.1:6379'),
  labsDir: z.string().min(1).default('labs'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  port: z.coerce.number().int().min(0).max(65535),
  positiveInt: z.coerce.number().int().positive(),
  milliseconds: z.coerce.number().int().nonnegative(),
};

/** The settings every service process shares (api, worker). */
export const serviceEnv = {
  KADAI_DATABASE_URL: fields.databaseUrl,
  KADAI_REDIS_URL: fields.redisUrl,
  KADAI_LABS_DIR: fields.labsDir,
  KADAI_LOG_LEVEL: fields.logLevel,
  /** Namespaces kadai's queues in Redis, so several deployments or test runs can share one Redis. */
  KADAI_QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_.-]+$/).default('kadai'),
  /**
   * Tries per grading job for infrastructure failures (the first included), and the first backoff
   * (doubled each time): 5 from 2 s span 30 s, past a restart of the engine (~8 s here) or of the
   * cluster's API server (~10 s) — with 3 (6 s), a submission started during one ended `error`.
   */
  KADAI_RETRY_ATTEMPTS: fields.positiveInt.default(5),
  KADAI_RETRY_BACKOFF_MS: fields.milliseconds.default(2_000),
};

const commaList = z
  .string()
  .default('')
  .transform((list) => list.split(',').map((item) => item.trim()).filter(Boolean));

/** Where webhooks may go (api: checked at registration; worker: on every connection). */
export const webhookUrlEnv = {
  /** CIDR ranges webhooks may reach although private (an on-campus LMS), e.g. "10.0.0.0/8,192.168.5.7". */
  KADAI_WEBHOOK_ALLOW_PRIVATE: commaList.pipe(z.array(z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]))),
  /** kadai's own API origins, which webhooks never reach (the api adds its own listening address). */
  KADAI_PUBLIC_URLS: commaList.pipe(z.array(z.url({ protocol: /^https?$/ }))),
};
