import type { RedisClient } from '../redis/redis-client.js';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import type { KeyQueues } from '../queues/key-queues.js';
import { BackgroundBacklog } from './background-backlog.js';
import { BackgroundDispatcher } from './background-dispatcher.js';
import { BackgroundResults } from './background-results.js';
import { BatchStore, type PoolPace } from './batch-store.js';
import { CallbackSender } from './callback-sender.js';
import { FileStore } from './file-store.js';

/** The stores of background work, as both the API and the workers use them. */
export interface BackgroundStores {
  backlog: BackgroundBacklog;
  files: FileStore;
  batches: BatchStore;
}

export function backgroundStores(redis: RedisClient, queues: KeyQueues, config: AppConfig): BackgroundStores {
  const ttl = config.background.resultTtlSeconds;
  const backlog = new BackgroundBacklog(redis, queues.redisKeys, ttl);
  const files = new FileStore(redis, queues.redisKeys, ttl);
  return { backlog, files, batches: new BatchStore(redis, queues.redisKeys, files, ttl) };
}

/** The pool's pace by its configured limits, and the reset the dispatcher waits for, if any. */
export async function poolPace(redis: RedisClient, queues: KeyQueues, config: AppConfig): Promise<PoolPace> {
  const { minIntervalMs, perMinute, perDay } = config.limits;
  const keys = Math.max(1, queues.keys.length);
  const perKeyMs = Math.max(minIntervalMs, perMinute > 0 ? 60_000 / perMinute : 0);
  const blocked = await redis.get(queues.redisKeys.backgroundBlockedUntil());
  return { msPerRequest: perKeyMs / keys, blockedUntil: blocked === null ? undefined : Number(blocked), perDay: perDay * keys };
}

/** How often the dispatcher looks for room: often enough to keep a short-spaced key busy. */
export function dispatchTickMs(config: AppConfig): number {
  return Math.min(250, Math.max(25, Math.floor(config.limits.minIntervalMs / 4)));
}

export interface BackgroundWork {
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** Runs in every worker process: the dispatcher, the reader of background answers, the callback sender. */
export function startBackgroundWork(o: { config: AppConfig; redis: RedisClient; blocking: RedisClient; queues: KeyQueues; logger: Logger }): BackgroundWork {
  const { config, redis, queues } = o;
  const logger = o.logger.child({ part: 'background' });
  const stores = backgroundStores(redis, queues, config);
  const b = config.background;
  const callbacks = new CallbackSender({
    redis,
    backlog: stores.backlog,
    secret: b.callbackSecret,
    retryBaseMs: b.callbackRetryBaseMs,
    maxAttempts: b.callbackMaxAttempts,
    logger,
    tickMs: Math.min(250, b.callbackRetryBaseMs),
  });
  const results = new BackgroundResults(o.blocking, redis, stores.backlog, stores.batches, callbacks, logger);
  const dispatcher = new BackgroundDispatcher({
    redis,
    backlog: stores.backlog,
    batches: stores.batches,
    queues,
    limits: config.limits,
    aheadMs: b.dispatchAheadMs,
    queueTimeoutMs: config.queueTimeoutMs,
    weights: b.clientWeights,
    logger,
    tickMs: dispatchTickMs(config),
  });
  results.start();
  callbacks.start();
  dispatcher.start();
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        await dispatcher.close();
        await results.close();
        await callbacks.close();
      })()),
  };
}
