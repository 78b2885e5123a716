import type { RedisClient } from '@ork/shared';
import type { Logger } from 'pino';
import type { RedisKeys, UpstreamKey } from '@ork/shared';
import { reindexKey } from '@ork/shared';
import type { UpstreamClient } from './upstream/upstream-client.js';

export interface KeyProbeOptions {
  redis: RedisClient;
  redisKeys: RedisKeys;
  keys: readonly UpstreamKey[];
  upstream: UpstreamClient;
  logger: Logger;
  intervalMs?: number;
}

/** True when a `GET /key` answer says the key works and, for a key out of credits, has some again. */
function worksAgain(reason: string, status: number, body: string): boolean {
  if (status !== 200) return false;
  if (reason !== 'no-credits') return true;
  try {
    const remaining = (JSON.parse(body) as { data?: { limit_remaining?: unknown } }).data?.limit_remaining;
    return remaining === null || remaining === undefined || (typeof remaining === 'number' && remaining > 0);
  } catch {
    return false;
  }
}

/**
 * Brings a key that left rotation (invalid, out of credits) back once OpenRouter accepts it
 * again. One process probes each key per round (a Redis lock), so more workers add no traffic.
 */
export function startKeyProbe(o: KeyProbeOptions): { stop(): void } {
  const intervalMs = o.intervalMs ?? 60_000;
  const round = async (): Promise<void> => {
    for (const key of o.keys) {
      const state = o.redisKeys.keyState(key.id);
      const reason = await o.redis.hget(state, 'disabled');
      if (reason === null) continue;
      const lock = await o.redis.set(o.redisKeys.keyProbe(key.id), '1', 'PX', Math.max(intervalMs - 1_000, 1_000), 'NX');
      if (lock !== 'OK') continue;
      const answer = await o.upstream.probeKey(key.secret, AbortSignal.timeout(10_000)).catch(() => undefined);
      if (answer && worksAgain(reason, answer.status, answer.body)) {
        await o.redis.hdel(state, 'disabled', 'disabledAt');
        await reindexKey(o.redis, o.redisKeys.accountOfKey(), o.redisKeys.keyBase(key.id));
        o.logger.info({ keyId: key.id, key: key.masked }, 'key back in rotation');
      }
    }
  };
  const timer = setInterval(() => {
    round().catch((err: unknown) => o.logger.warn({ err }, 'key probe failed'));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
