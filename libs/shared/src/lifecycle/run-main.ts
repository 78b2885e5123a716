import { loadEnv, parseConfig, type AppConfig } from '../config/config.js';
import { ConfigError } from '../errors/config-error.js';
import { createLogger } from '../logging/logger.js';
import { RedisUnreachableError, redactRedisUrl } from '../redis/connections.js';
import { redisForProcess } from '../redis/redis-source.js';

/**
 * Entry-point wrapper: loads the config, finds the Redis (REDIS_URL, the default address, or an
 * embedded one) and turns the start-up failures a user can fix (bad configuration, no Redis) into
 * one clear line and exit code 1 instead of a stack trace.
 */
export async function runMain(name: string, start: (config: AppConfig) => Promise<void>): Promise<void> {
  try {
    const env = loadEnv();
    const config = parseConfig(env);
    const redis = await redisForProcess(name, env);
    await start({ ...config, redisUrl: redis.url });
    // After start, so a Redis that fails to answer still gives exactly one line.
    createLogger(name, config.logLevel, config.logPretty).info(
      { redis: { source: redis.source, url: redactRedisUrl(redis.url), dataDir: redis.dataDir } },
      redis.description,
    );
  } catch (err) {
    if (err instanceof ConfigError || err instanceof RedisUnreachableError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
