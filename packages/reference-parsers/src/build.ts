/**
 * `npx tsx packages/reference-parsers/src/build.ts [cacheDir]` builds the Go helper into the cache
 * (infra/reference-parsers/build runs it) and prints its path.
 */
import { ensureBuilt } from './binary';

ensureBuilt({ ...(process.argv[2] ? { cacheDir: process.argv[2] } : {}) }).then(
  (bin) => process.stdout.write(`${bin}\n`),
  (error: unknown) => {
    process.stderr.write(`cannot build the reference parsers: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
