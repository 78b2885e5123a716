import type { Cluster, Redis } from 'ioredis';

/**
 * What every part of the service talks to: one Redis, or a Redis Cluster (REDIS_CLUSTER_NODES).
 * Both speak the same commands; our keys and scripts are laid out so either works (redis-keys.ts).
 */
export type RedisClient = Redis | Cluster;
