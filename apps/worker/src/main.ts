import { ShutdownManager, createLogger, runMain } from '@ork/shared';
import { startKeyWorkers } from './key-workers.js';

await runMain('ork-worker', async (config) => {
  const logger = createLogger('ork-worker', config.logLevel, config.logPretty);
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs);
  const workers = await startKeyWorkers(config, logger);
  shutdown.add('key workers', () => workers.close());
  shutdown.listen();
});
