import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enterEmbeddedRedis, findRedisServer, parseRedisTarget, redisAnswers } from '@ork/shared';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Finds the Redis the tests use: REDIS_URL if set; else the default address (127.0.0.1:6379, or the
 * port REDIS_DEFAULT_PORT names) if it answers; else an embedded redis-server in a throwaway folder
 * (the product's own code path, and far quicker than a container); else a redis:7 container
 * (testcontainers, for machines with Docker but no redis-server); else a clear failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const target = parseRedisTarget(process.env);
  if (target.redisUrlGiven) {
    const given = target.redisUrl;
    if (!(await redisAnswers(given))) throw new Error(`REDIS_URL=${given} does not answer. Start that Redis or unset REDIS_URL.`);
    project.provide('redisUrl', given);
    return () => Promise.resolve();
  }
  const local = target.redisUrl;
  if (await redisAnswers(local)) {
    project.provide('redisUrl', local);
    return () => Promise.resolve();
  }
  const binary = findRedisServer(process.env.PATH);
  if (binary !== undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'ork-test-redis-'));
    const embedded = await enterEmbeddedRedis(dataDir, binary);
    if (embedded !== undefined) {
      project.provide('redisUrl', embedded.url);
      return () => {
        embedded.release();
        rmSync(dataDir, { recursive: true, force: true });
        return Promise.resolve();
      };
    }
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
      `The tests need Redis: nothing answers at ${local}, REDIS_URL is not set, no \`redis-server\` is on the PATH, ` +
        `and testcontainers could not start redis:7 (${err instanceof Error ? err.message : String(err)}). ` +
        'Install redis-server (apt/brew), run `docker compose up -d redis`, or set REDIS_URL.',
    );
  }
}
