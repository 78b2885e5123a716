import { loadConfig, type AppConfig } from '../config/config.js';
import { ConfigError } from '../errors/config-error.js';
import { RedisUnreachableError } from '../redis/connections.js';

/**
 * Entry-point wrapper: loads the config and turns the start-up failures a user can fix
 * (bad configuration, no Redis) into one clear line and exit code 1 instead of a stack trace.
 */
export async function runMain(name: string, start: (config: AppConfig) => Promise<void>): Promise<void> {
  try {
    await start(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof RedisUnreachableError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
