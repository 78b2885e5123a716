import { LocalReplies, ShutdownManager, createLogger, runMain } from '@ork/shared';
import { startKeyWorkers } from '@ork/worker';
import { startApi } from './start-api.js';

/** `npm start`: the API and the key workers in one process, the single-node default. */
await runMain('ork', async (config) => {
  const logger = createLogger('ork', config.logLevel, config.logPretty);
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs);
  // Replies for requests waiting in this process are handed over in memory, not through Redis.
  const localReplies = new LocalReplies();
  const workers = await startKeyWorkers(config, logger, { localReplies });
  const api = await startApi(config, logger, { localReplies });
  // Stop taking requests first, then let the workers finish what they hold.
  shutdown.add('http server', () => api.close());
  shutdown.add('key workers', () => workers.close());
  shutdown.listen();
});
