import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/redis-client.js';
import { PAID_QUEUE_NAME, keyQueueName, queuePrefix } from './queue-names.js';
import type { RequestQuota } from '../accounts/request-quota.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import type { UpstreamJobData, UpstreamJobResult } from '../jobs/upstream-job.js';
import type { UpstreamKey } from '../keys/upstream-key.js';
import { RETAINED_JOBS_MAX, jobRetention, type JobRetention } from '../jobs/job-retention.js';

export type KeyQueue = Queue<UpstreamJobData, UpstreamJobResult>;

/**
 * BullMQ's event stream per queue (`streams.events.maxLen`, default 10,000 entries): nothing
 * here reads it (no QueueEvents; Bull Board reads job hashes and lists), so it keeps only what
 * an approximate trim to 0 leaves: at most one stream node (100 entries) per queue.
 */
export const QUEUE_EVENTS_MAX_LEN = 0;
const NO_EVENT_HISTORY = { events: { maxLen: QUEUE_EVENTS_MAX_LEN } };

/** The producer side of every key's queue and of the paid queue (the API enqueues, workers reroute), on one shared connection. */
export class KeyQueues {
  readonly byId = new Map<string, KeyQueue>();
  /** Paid-model requests of every key (PAID_QUEUE_NAME); each job's `keyId` says which key. */
  readonly paid: KeyQueue;
  /** What every job added to these queues keeps once finished (JOB_RETENTION_SECONDS). */
  readonly retention: JobRetention;

  constructor(
    readonly keys: readonly UpstreamKey[],
    redis: RedisClient,
    readonly redisKeys: RedisKeys,
    readonly retentionSeconds = 0,
  ) {
    this.retention = jobRetention(retentionSeconds);
    this.keyBases = keys.map((k) => redisKeys.keyBase(k.id));
    for (const key of keys) {
      const name = keyQueueName(key.id);
      this.byId.set(key.id, new Queue(name, { connection: redis, prefix: queuePrefix(redisKeys.prefix, name), streams: NO_EVENT_HISTORY }));
    }
    this.paid = new Queue(PAID_QUEUE_NAME, { connection: redis, prefix: queuePrefix(redisKeys.prefix, PAID_QUEUE_NAME), streams: NO_EVENT_HISTORY });
  }

  /** Where a request routed to this key waits: the key's own queue, or the paid queue. */
  queueFor(keyId: string, quota: RequestQuota): KeyQueue {
    return quota === 'paid' ? this.paid : this.get(keyId);
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

  /** Removes finished jobs past their retention on every key, idle ones included. */
  async cleanFinished(): Promise<void> {
    const graceMs = this.retentionSeconds * 1000;
    for (const queue of [...this.byId.values(), this.paid]) {
      await queue.clean(graceMs, RETAINED_JOBS_MAX, 'completed');
      await queue.clean(graceMs, RETAINED_JOBS_MAX, 'failed');
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.byId.values(), this.paid].map((q) => q.close()));
  }
}
