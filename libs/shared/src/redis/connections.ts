import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClusterTarget } from '../config/redis-cluster-nodes.js';
import type { RedisClient } from './redis-client.js';
import { coalesceWrites } from './coalesced-writes.js';

const common: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 3_000,
  // Keep trying in the background; callers decide whether to fail fast or wait.
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
};

/** Where a process's Redis is: one server (a URL), or a cluster (REDIS_CLUSTER_NODES) when given. */
export type RedisEndpoint = string | { redisUrl: string; redisCluster?: RedisClusterTarget | undefined };

function connect(endpoint: RedisEndpoint, options: RedisOptions & { enableOfflineQueue?: boolean; enableAutoPipelining?: boolean }): RedisClient {
  const cluster = typeof endpoint === 'string' ? undefined : endpoint.redisCluster;
  if (cluster === undefined) {
    const redis = new Redis(typeof endpoint === 'string' ? endpoint : endpoint.redisUrl, { ...common, ...options });
    coalesceWrites(redis);
    return redis;
  }
  const { enableOfflineQueue, enableAutoPipelining, ...perNode } = options;
  return new Cluster(cluster.nodes, {
    lazyConnect: true,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    redisOptions: {
      connectTimeout: 3_000,
      ...perNode,
      ...(cluster.username === undefined ? {} : { username: cluster.username }),
      ...(cluster.password === undefined ? {} : { password: cluster.password }),
      ...(cluster.tls ? { tls: {} } : {}),
    },
  });
}

/** API side: commands fail at once while Redis is away, so requests get a 503 instead of hanging. */
export function createApiRedis(endpoint: RedisEndpoint, name = 'ork-api'): RedisClient {
  return connect(endpoint, { connectionName: name, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
}

/**
 * Worker side and blocking readers: commands wait for Redis to come back (BullMQ requires this).
 * `autoPipelining` batches the commands of one tick into one write, for connections that carry
 * many small independent commands (not for BullMQ's or blocking ones).
 */
export function createWorkerRedis(endpoint: RedisEndpoint, name = 'ork-worker', autoPipelining = false): RedisClient {
  return connect(endpoint, { connectionName: name, maxRetriesPerRequest: null, enableAutoPipelining: autoPipelining });
}

/** How a Redis endpoint is named in messages (no password). */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  if (typeof endpoint !== 'string' && endpoint.redisCluster) {
    return `the Redis Cluster at ${endpoint.redisCluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`;
  }
  return redactRedisUrl(typeof endpoint === 'string' ? endpoint : endpoint.redisUrl);
}

/** Thrown when Redis cannot be reached at start-up; its message says how to get one. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
  constructor(endpoint: RedisEndpoint, cause: unknown) {
    super(
      typeof endpoint !== 'string' && endpoint.redisCluster
        ? `Cannot reach ${describeEndpoint(endpoint)}: check that its nodes answer and that cluster_state is ok.`
        : `Cannot reach Redis at ${describeEndpoint(endpoint)}. Start one with \`docker compose up -d redis\` ` +
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
export async function connectRedis(redis: RedisClient, endpoint: RedisEndpoint, timeoutMs = 3_000): Promise<void> {
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
    throw new RedisUnreachableError(endpoint, err);
  } finally {
    clearTimeout(timer);
    redis.off('error', swallow);
  }
}
