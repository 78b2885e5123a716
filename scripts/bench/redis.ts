/** The scripts' own Redis connection: a one-line error when it is missing, and the server version for the header. */
import { Redis } from 'ioredis';

/** An error whose message says it all: printed without a stack trace. */
export class ExpectedError extends Error {
  readonly expected = true;
}

export function openRedis(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Failures surface as rejected commands; without a listener ioredis also prints each one.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects, or throws a one-line error saying where Redis was expected. */
export async function connect(redis: Redis, url: string): Promise<void> {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new ExpectedError(
      `cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} (${errorMessage(err)}); start a local redis-server or set REDIS_URL`,
    );
  }
}

export async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stack trace (or message) of anything thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
