import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisKeys } from '../src/limits/redis-keys.js';
import { deleteByPrefix, freshPrefix } from '../../../test/support/redis-cleanup.js';

/** A real Redis connection and a prefix of the test's own; `cleanup()` removes what it wrote. */
export function redisFixture() {
  const url = inject('redisUrl');
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const prefix = freshPrefix('t');
  return {
    redis,
    url,
    keys: new RedisKeys(prefix),
    async cleanup(): Promise<void> {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
