import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';

export interface BackgroundClientSummary {
  /** Client key id, or `anonymous`. */
  id: string;
  asyncWaiting: number;
  batchWaiting: number;
  /** Its batches with lines still waiting. */
  batches: number;
}

/** Background work as status and /metrics show it, apart from the synchronous queues. */
export interface BackgroundSummary {
  /** Waiting in our backlog (not yet in any key queue), by lane. */
  waiting: { async: number; batch: number };
  /** Moved into a key queue and not answered yet. */
  inKeyQueues: number;
  callbacksDue: number;
  /** ISO time until which the pool has no capacity left for it (a UTC reset), if the dispatcher saw so. */
  blockedUntil: string | null;
  clients: BackgroundClientSummary[];
}

/** Reads the backlog's sizes: a few commands per waiting client (clients are client keys, a handful). */
export async function readBackgroundSummary(redis: RedisClient, keys: RedisKeys): Promise<BackgroundSummary> {
  const [clientIds, inKeyQueues, callbacksDue, blocked] = await Promise.all([
    redis.zrange(keys.backgroundClients(), 0, 99),
    redis.zcard(keys.backgroundInflight()),
    redis.zcard(keys.callbacksDue()),
    redis.get(keys.backgroundBlockedUntil()),
  ]);
  const clients: BackgroundClientSummary[] = [];
  for (const id of clientIds) {
    const batchIds = [...new Set(await redis.lrange(keys.backgroundClientBatches(id), 0, 99))];
    const sizes = await Promise.all(batchIds.map((b) => redis.llen(keys.batchBacklog(b))));
    clients.push({
      id,
      asyncWaiting: await redis.llen(keys.backgroundAsyncBacklog(id)),
      batchWaiting: sizes.reduce((a, b) => a + b, 0),
      batches: sizes.filter((n) => n > 0).length,
    });
  }
  return {
    waiting: { async: clients.reduce((a, c) => a + c.asyncWaiting, 0), batch: clients.reduce((a, c) => a + c.batchWaiting, 0) },
    inKeyQueues,
    callbacksDue,
    blockedUntil: blocked !== null && Number(blocked) > Date.now() ? new Date(Number(blocked)).toISOString() : null,
    clients,
  };
}
