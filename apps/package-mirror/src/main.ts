import { createServer } from 'node:http';
import { createLogger } from '@kadai/observability';
import { createPackageMirror } from '@kadai/package-mirror';
import { readConfig } from './config';

const config = readConfig();
const log = createLogger('package-mirror', config.logLevel);
const mirror = createPackageMirror({ cacheDir: config.cacheDir, upstreamTimeoutMs: config.upstreamTimeoutMs });

const servers = config.listen.map(({ host, port }) => {
  const server = createServer((req, res) => mirror.handle(req, res));
  server.on('error', (error) => {
    log.fatal({ err: error, host, port }, 'cannot listen');
    process.exit(1);
  });
  server.listen(port, host, () => log.info({ host, port, cacheDir: config.cacheDir }, 'package mirror listening'));
  return server;
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const s of servers) s.close();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
