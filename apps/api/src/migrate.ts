import { migrate } from '@kadai/db';
import { createLogger, runService } from '@kadai/observability';
import { readApiConfig } from './config';

/**
 * Brings the database schema up to date and exits: the Helm chart's migration Job (a pre-install /
 * pre-upgrade hook), so that a new release's api and workers start on the schema they expect.
 */
runService(async () => {
  const config = readApiConfig();
  const log = createLogger('kadai-migrate', config.logLevel);
  await migrate(config.databaseUrl);
  log.info('database schema up to date');
});
