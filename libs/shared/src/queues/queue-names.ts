/**
 * Per-key queue names. WARNING: renaming this scheme strands every job already queued
 * under the old names; a key's queue is named by its hash, never by the key.
 */
export function keyQueueName(keyId: string): string {
  return `key-${keyId}`;
}

/**
 * The one queue of paid-model requests, shared by every key (each job names its key): they are
 * held to none of the free-model limits, so they must never wait behind a key queue's limiter.
 * WARNING: renaming it strands the paid-model jobs already queued.
 */
export const PAID_QUEUE_NAME = 'paid';

/**
 * BullMQ's prefix for one queue: REDIS_PREFIX, then the queue's name as a Redis Cluster hash tag,
 * so all of one queue's keys share a slot (BullMQ's scripts need that) while different keys'
 * queues spread over the cluster (`ork:{key-<id>}:key-<id>:wait`). Producers and workers of a
 * queue must use the same. WARNING: changing it strands the jobs queued under the old prefix.
 */
export function queuePrefix(redisPrefix: string, queueName: string): string {
  return `${redisPrefix}:{${queueName}}`;
}
