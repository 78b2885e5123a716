import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Finds the Redis the tests use: REDIS_URL if set, else 127.0.0.1:6379 if it answers,
 * else a throwaway redis:7 container (testcontainers), else a clear failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.REDIS_URL;
  if (given !== undefined && given !== '') {
    if (!(await answers(given))) throw new Error(`REDIS_URL=${given} does not answer. Start that Redis or unset REDIS_URL.`);
    project.provide('redisUrl', given);
    return () => Promise.resolve();
  }
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local)) {
    project.provide('redisUrl', local);
    return () => Promise.resolve();
  }
  try {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7').start();
    project.provide('redisUrl', container.getConnectionUrl());
    return async () => {
      await container.stop();
    };
  } catch (err) {
    throw new Error(
      'The tests need Redis: nothing answers at 127.0.0.1:6379, REDIS_URL is not set, and testcontainers ' +
        `could not start redis:7 (${err instanceof Error ? err.message : String(err)}). ` +
        'Start one with `redis-server` or `docker compose up -d redis`, or set REDIS_URL.',
    );
  }
}
