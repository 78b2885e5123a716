import { Redis, type RedisOptions } from 'ioredis';

const common: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 3_000,
  // Keep trying in the background; callers decide whether to fail fast or wait.
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
};

/** API side: commands fail at once while Redis is away, so requests get a 503 instead of hanging. */
export function createApiRedis(url: string, name = 'ork-api'): Redis {
  return new Redis(url, { ...common, connectionName: name, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
}

/**
 * Worker side and blocking readers: commands wait for Redis to come back (BullMQ requires this).
 * `autoPipelining` batches the commands of one tick into one write, for connections that carry
 * many small independent commands (not for BullMQ's or blocking ones).
 */
export function createWorkerRedis(url: string, name = 'ork-worker', autoPipelining = false): Redis {
  return new Redis(url, { ...common, connectionName: name, maxRetriesPerRequest: null, enableAutoPipelining: autoPipelining });
}

/** Thrown when Redis cannot be reached at start-up; its message says how to get one. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
  constructor(url: string, cause: unknown) {
    super(
      `Cannot reach Redis at ${redactRedisUrl(url)}. Start one with \`docker compose up -d redis\` ` +
        'or a local `redis-server`, or point REDIS_URL at yours.',
      { cause },
    );
  }
}

/** Hides a password in a Redis URL. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => (auth.includes(':') ? '//***@' : `//${auth}@`));
}

/** Connects a lazy client, or throws RedisUnreachableError after `timeoutMs`. */
export async function connectRedis(redis: Redis, url: string, timeoutMs = 3_000): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
  });
  const swallow = (): void => undefined;
  redis.on('error', swallow);
  try {
    if (redis.status === 'wait') redis.connect().catch(swallow);
    await Promise.race([ready, timeout]);
  } catch (err) {
    redis.disconnect();
    throw new RedisUnreachableError(url, err);
  } finally {
    clearTimeout(timer);
    redis.off('error', swallow);
  }
}
