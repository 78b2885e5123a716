import type { RedisClient } from '@ork/shared';
import { readKeyLimitStatus, type KeyLimitStatus, type KeyLimits } from '@ork/shared';
import type { KeyQueues } from '@ork/shared';

export interface KeyStatus extends KeyLimitStatus {
  id: string;
  key: string;
  /** The `id` of its account in /api/status `accounts`. */
  accountId: string;
  queue: { name: string; waiting: number; active: number; delayed: number; completed: number; failed: number; background: number };
}

/** Reads every key's limits and queue counts; never exposes more of a key than its mask. */
export class KeyStatusReader {
  constructor(
    private readonly redis: RedisClient,
    private readonly queues: KeyQueues,
    private readonly limits: KeyLimits,
  ) {}

  async readAll(): Promise<KeyStatus[]> {
    return Promise.all(
      this.queues.keys.map(async (key) => {
        const queue = this.queues.get(key.id);
        const [limit, counts] = await Promise.all([
          readKeyLimitStatus(
            this.redis,
            { id: key.id, base: this.queues.redisKeys.keyBase(key.id) },
            this.limits,
            this.queues.redisKeys.accountOfKey(),
          ),
          queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
        ]);
        return {
          id: key.id,
          key: key.masked,
          accountId: limit.account.id,
          ...limit,
          queue: {
            name: queue.name,
            waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
            // Of those waiting, async jobs and batch lines (the only prioritised jobs: BullMQ runs them after the others).
            background: counts.prioritized ?? 0,
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            completed: counts.completed ?? 0,
            failed: counts.failed ?? 0,
          },
        };
      }),
    );
  }
}
