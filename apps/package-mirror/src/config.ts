import { fields, loadConfig } from '@kadai/config';
import { z } from 'zod';

const address = z.string().regex(/^[\d.]+:\d{1,5}$/, 'an IPv4 address and port like 10.203.0.1:5080');

const schema = z
  .object({
    KADAI_LOG_LEVEL: fields.logLevel,
    /**
     * Where the mirror listens: port 80 of the build network's gateway (builds reach it as
     * packages.kadai.internal and as deb.debian.org, so the stand-ins' apt sources work unchanged) and
     * loopback (the grader's status requests). Never a public address: it is an open door to the indexes.
     */
    KADAI_PACKAGE_MIRROR_LISTEN: z
      .string()
      .default('127.0.0.1:5080,10.203.0.1:80')
      .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
      .pipe(z.array(address).min(1)),
    KADAI_PACKAGE_MIRROR_CACHE: z.string().min(1).default('/var/cache/kadai/package-mirror'),
    // Below pip's 15 s read timeout (the least patient of the labs' package tools): an upstream that
    // does not answer is recorded by the mirror before the tool gives up and the build fails, so the
    // worker finds the record when it judges the failed build (an upstream without an answer is kadai's).
    KADAI_PACKAGE_MIRROR_UPSTREAM_TIMEOUT_MS: fields.positiveInt.default(12_000),
  })
  .transform((env) => ({
    logLevel: env.KADAI_LOG_LEVEL,
    listen: env.KADAI_PACKAGE_MIRROR_LISTEN.map((a) => {
      const at = a.lastIndexOf(':');
      return { host: a.slice(0, at), port: Number(a.slice(at + 1)) };
    }),
    cacheDir: env.KADAI_PACKAGE_MIRROR_CACHE,
    upstreamTimeoutMs: env.KADAI_PACKAGE_MIRROR_UPSTREAM_TIMEOUT_MS,
  }));

export type MirrorConfig = z.infer<typeof schema>;
export const readConfig = (env: NodeJS.ProcessEnv = process.env): MirrorConfig => loadConfig(schema, env);
