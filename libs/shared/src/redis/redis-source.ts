import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parseRedisTarget, type RedisTarget } from '../config/config.js';
import { ConfigError } from '../errors/config-error.js';
import { describeEndpoint, redactRedisUrl } from './connections.js';
import { EMBEDDED_REDIS_FOLDER, EmbeddedRedisError, enterEmbeddedRedis, findRedisServer, type EmbeddedRedis } from './embedded-redis.js';

/** The Redis a process uses, and how it came by it. */
export interface RedisInUse {
  url: string;
  source: 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'default address' | 'embedded';
  /** The embedded Redis's data folder; undefined for a Redis of the user's. */
  dataDir: string | undefined;
  /** The one log line: which Redis, and where its data lives. */
  description: string;
  /** Leaves an embedded Redis (the last process out stops it); nothing otherwise. Safe twice. */
  release(): void;
}

/** Thrown when REDIS_URL is unset, nothing answers at the default address and no redis-server can be started. */
export class NoRedisError extends Error {
  override readonly name = 'NoRedisError';
  constructor(defaultUrl: string) {
    super(
      `No Redis answers at ${defaultUrl} and no \`redis-server\` is on the PATH to start one: install it ` +
        '(`sudo apt-get install redis-server`, `brew install redis`), or run `docker compose up -d redis`, or set REDIS_URL.',
    );
  }
}

export interface RedisChoiceOptions {
  /** The PATH searched for `redis-server`. */
  path: string | undefined;
  /** The embedded Redis's folder; defaults to `data/redis` under the working directory. */
  dataDir?: string;
}

/**
 * REDIS_URL if set (never an embedded one then); else an embedded Redis already running for this data
 * folder (so processes started before and after a Redis appeared on the default address stay on one);
 * else the default address if it answers; else a `redis-server` of our own, shared by every process
 * started from the same folder.
 */
export async function chooseRedis(target: RedisTarget, options: RedisChoiceOptions): Promise<RedisInUse> {
  if (target.redisCluster) {
    return user(target.redisUrl, 'REDIS_CLUSTER_NODES', `Redis Cluster from REDIS_CLUSTER_NODES: ${describeEndpoint(target)}`);
  }
  if (target.redisUrlGiven) {
    return user(target.redisUrl, 'REDIS_URL', `Redis from REDIS_URL: ${redactRedisUrl(target.redisUrl)}`);
  }
  const dataDir = resolve(options.dataDir ?? EMBEDDED_REDIS_FOLDER);
  const running = await enterEmbeddedRedis(dataDir);
  if (running) return embedded(running);
  if (await redisAnswers(target.redisUrl)) {
    return user(target.redisUrl, 'default address', `Redis at the default address ${target.redisUrl} (REDIS_URL is unset)`);
  }
  const binary = findRedisServer(options.path);
  if (binary === undefined) throw new NoRedisError(target.redisUrl);
  const started = await enterEmbeddedRedis(dataDir, binary);
  if (started === undefined) throw new EmbeddedRedisError(`could not start ${binary}`);
  return embedded(started, binary);
}

/**
 * The one call of every start path: chooses the Redis (see chooseRedis), leaves an embedded one
 * when the process exits, and turns "no Redis and no way to start one" into one line and exit code 1.
 */
export async function redisForProcess(
  name: string,
  env: Record<string, string | undefined>,
  announce?: (redis: RedisInUse) => void,
): Promise<RedisInUse> {
  try {
    const redis = await chooseRedis(parseRedisTarget(env), { path: env.PATH });
    process.once('exit', () => redis.release());
    announce?.(redis);
    return redis;
  } catch (err) {
    if (err instanceof NoRedisError || err instanceof EmbeddedRedisError || err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function user(url: string, source: RedisInUse['source'], description: string): RedisInUse {
  return { url, source, dataDir: undefined, description, release: () => undefined };
}

function embedded(redis: EmbeddedRedis, binary?: string): RedisInUse {
  const how = redis.started ? `started ${binary ?? 'redis-server'} (pid ${redis.pid})` : `joined the running one (pid ${redis.pid})`;
  return {
    url: redis.url,
    source: 'embedded',
    dataDir: redis.dataDir,
    description: `embedded Redis at ${redis.url}, data in ${redis.dataDir}: ${how}; set REDIS_URL to use your own`,
    release: () => redis.release(),
  };
}

/** Whether a Redis answers PING at this URL within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
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
