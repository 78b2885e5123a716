import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { keyQueueName } from './queue-names.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import type { UpstreamJobData, UpstreamJobResult } from '../jobs/upstream-job.js';
import type { UpstreamKey } from '../keys/upstream-key.js';

export type KeyQueue = Queue<UpstreamJobData, UpstreamJobResult>;

/** The producer side of every key's queue (the API enqueues, workers reroute), on one shared connection. */
export class KeyQueues {
  readonly byId = new Map<string, KeyQueue>();

  constructor(
    readonly keys: readonly UpstreamKey[],
    redis: Redis,
    readonly redisKeys: RedisKeys,
  ) {
    this.keyBases = keys.map((k) => redisKeys.keyBase(k.id));
    for (const key of keys) {
      this.byId.set(key.id, new Queue(keyQueueName(key.id), { connection: redis, prefix: redisKeys.prefix }));
    }
  }

  get(keyId: string): KeyQueue {
    const queue = this.byId.get(keyId);
    if (!queue) throw new Error(`no queue for key ${keyId}`);
    return queue;
  }

  private readonly keyBases: readonly string[];

  /** `RedisKeys.keyBase` of every key, in registry order (computed once: asked on every request). */
  bases(): readonly string[] {
    return this.keyBases;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byId.values()].map((q) => q.close()));
  }
}
