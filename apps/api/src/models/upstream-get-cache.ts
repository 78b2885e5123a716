import type { RedisClient } from '@ork/shared';
import { request } from 'undici';
import { ServiceUnavailableError } from '@ork/shared';

export interface CachedAnswer {
  status: number;
  body: string;
}

export interface UpstreamGetCacheOptions {
  redis: RedisClient;
  upstreamBaseUrl: string;
  /** Redis key of one upstream path's cached answer. */
  redisKeyOf(upstreamPath: string): string;
  /** How long a 200 is served from the cache. @defaultValue 10 minutes */
  ttlMs?: number;
}

const FETCH_TIMEOUT_MS = 10_000;
/** Far more than OpenRouter's catalogue answers; keeps a runaway body out of Redis. */
const MAX_CACHED_BYTES = 2_000_000;

/**
 * Keyless read-only GETs to OpenRouter (a model's endpoints), with each 200 cached in Redis
 * for every API process; other answers pass through uncached. Never spends a key's quota.
 */
export class UpstreamGetCache {
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();

  constructor(private readonly o: UpstreamGetCacheOptions) {}

  async get(upstreamPath: string): Promise<CachedAnswer> {
    const redisKey = this.o.redisKeyOf(upstreamPath);
    const cached = await this.o.redis.get(redisKey).catch(() => null);
    if (cached !== null) return { status: 200, body: cached };
    let fetching = this.inFlight.get(upstreamPath);
    if (!fetching) {
      fetching = this.fetch(upstreamPath, redisKey).finally(() => this.inFlight.delete(upstreamPath));
      this.inFlight.set(upstreamPath, fetching);
    }
    return fetching;
  }

  private async fetch(upstreamPath: string, redisKey: string): Promise<CachedAnswer> {
    let res;
    try {
      res = await request(`${this.o.upstreamBaseUrl}/${upstreamPath}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new ServiceUnavailableError(`OpenRouter could not be reached for ${upstreamPath}.`, { cause: err });
    }
    const body = await res.body.text();
    if (res.statusCode === 200 && body.length <= MAX_CACHED_BYTES) {
      await this.o.redis.set(redisKey, body, 'PX', this.o.ttlMs ?? 10 * 60_000).catch(() => undefined);
    }
    return { status: res.statusCode, body };
  }
}
