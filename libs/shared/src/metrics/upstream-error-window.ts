import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';

const MINUTE_MS = 60_000;
/** Minutes summed by a read: the current one and the 59 before it. */
export const UPSTREAM_ERROR_WINDOW_MINUTES = 60;
/** A minute's counts outlive the window a little, so a read at its edge never finds them gone early. */
const KEEP_SECONDS = (UPSTREAM_ERROR_WINDOW_MINUTES + 5) * 60;

export interface UpstreamErrorCounts {
  /** Failed upstream attempts in the window. */
  total: number;
  /** The same, by outcome label (as in `ork_upstream_requests_total`). */
  byOutcome: Record<string, number>;
}

/**
 * Failed upstream attempts of the last hour, for the dashboard. The Prometheus counters are
 * totals since the start, which cannot say "in the last hour" without a scraper; one small
 * hash per minute can, and expires by itself.
 */
export class UpstreamErrorWindow {
  constructor(
    private readonly redis: RedisClient,
    private readonly redisKeys: RedisKeys,
  ) {}

  /** Counts one failed attempt under its outcome label. */
  async record(outcome: string, now = Date.now()): Promise<void> {
    const redisKey = this.redisKeys.upstreamErrors(Math.floor(now / MINUTE_MS));
    await this.redis.multi().hincrby(redisKey, outcome, 1).expire(redisKey, KEEP_SECONDS).exec();
  }

  /** Failed attempts in the current minute and the 59 before it. */
  async read(now = Date.now()): Promise<UpstreamErrorCounts> {
    const current = Math.floor(now / MINUTE_MS);
    const tx = this.redis.pipeline();
    for (let i = 0; i < UPSTREAM_ERROR_WINDOW_MINUTES; i++) tx.hgetall(this.redisKeys.upstreamErrors(current - i));
    const results = (await tx.exec()) ?? [];
    const byOutcome: Record<string, number> = {};
    let total = 0;
    for (const [err, hash] of results) {
      if (err) throw err;
      for (const [outcome, raw] of Object.entries((hash ?? {}) as Record<string, string>)) {
        const n = Number(raw);
        if (!Number.isFinite(n)) continue;
        byOutcome[outcome] = (byOutcome[outcome] ?? 0) + n;
        total += n;
      }
    }
    return { total, byOutcome };
  }
}
