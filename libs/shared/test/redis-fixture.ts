import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisKeys } from '../src/limits/redis-keys.js';

/** A real Redis connection and a prefix of the test's own; `cleanup()` removes what it wrote. */
export function redisFixture() {
  const url = inject('redisUrl');
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  return {
    redis,
    url,
    keys: new RedisKeys(prefix),
    async cleanup(): Promise<void> {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await redis.unlink(...found);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
