import { ShutdownManager, createLogger, runMain } from '@ork/shared';
import { startApi } from './start-api.js';

await runMain('ork-api', async (config) => {
  const logger = createLogger('ork-api', config.logLevel, config.logPretty);
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs);
  const api = await startApi(config, logger);
  shutdown.add('http server', () => api.close());
  shutdown.listen();
});
