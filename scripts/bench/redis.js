/** The benchmark's own Redis connection: server version for the header, and removal of a run's keys. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function openRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Failures surface as rejected commands; without a listener ioredis also prints each one.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects, or throws a one-line error saying where Redis was expected. */
export async function connect(redis, url) {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const error = new Error(`cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} (${err.message}); start a local redis-server or set REDIS_URL`);
    error.expected = true;
    throw error;
  }
}

export async function redisVersion(redis) {
  const info = await redis.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/** A prefix no other run (or test) uses: `bench-<8 hex>`. */
export function freshPrefix() {
  return `bench-${randomBytes(4).toString('hex')}`;
}

/** SCAN MATCH prefix:* + UNLINK until the cursor wraps; returns how many keys were removed. */
export async function deleteByPrefix(redis, prefix) {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await redis.unlink(...found);
  } while (cursor !== '0');
  return removed;
}
