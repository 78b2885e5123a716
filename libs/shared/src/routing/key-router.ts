import type { Redis } from 'ioredis';
import type { KeyLimits } from '../config/config.js';
import type { RequestQuota } from '../accounts/request-quota.js';
import { LuaScript, pair } from '../limits/lua-script.js';
import { accountArgs, enforcedSpacingMs } from '../limits/key-slots.js';
import { ROUTE_REPLY } from '../limits/lua-constants.js';
import { keyPendingOf, keyPaidPendingOf } from '../limits/redis-keys.js';

const routeScript = new LuaScript('route');

export type RouteDecision =
  | { kind: 'routed'; index: number; estimatedWaitMs: number }
  | { kind: 'exhausted'; resetInMs: number }
  /** Every key is invalid or out of credits: no wait helps until the probe finds one working. */
  | { kind: 'no-usable-key' }
  | { kind: 'too-long'; estimatedWaitMs: number };

export interface RouteInput {
  requestId: string;
  /** `RedisKeys.keyBase(id)` for every key, in registry order. */
  bases: readonly string[];
  /** Bases the request must not be routed to (e.g. the key that just failed it). */
  exclude?: readonly string[];
  limits: KeyLimits;
  queueTimeoutMs: number;
  /** `RedisKeys.accountOfKey()` */
  accountMap: string;
  quota?: RequestQuota;
  /** A queued request looking for a sooner slot on another key (only that key's queue counts ahead of it). */
  moving?: boolean;
}

/**
 * Chooses the key whose next free slot comes first, by its account's minute and day, counting
 * queued work, and reserves a place on it (expiring with the request's timeout if never started).
 */
export async function routeRequest(redis: Redis, input: RouteInput): Promise<RouteDecision> {
  const [scope, explicit] = accountArgs(input.limits);
  const [index, ms] = pair(
    await routeScript.run(redis, [], [
      input.requestId,
      input.queueTimeoutMs + 60_000,
      input.queueTimeoutMs,
      enforcedSpacingMs(input.limits),
      input.limits.perMinute,
      input.limits.perDay,
      input.accountMap,
      scope,
      explicit,
      input.quota ?? 'free',
      input.limits.paidPerMinute ?? 0,
      input.moving ? 1 : 0,
      ...input.bases.map((b) => (input.exclude?.includes(b) ? `!${b}` : b)),
    ]),
  );
  if (index > 0) return { kind: 'routed', index: index - 1, estimatedWaitMs: ms };
  if (index === ROUTE_REPLY.noneToday) return { kind: 'exhausted', resetInMs: ms };
  if (index === ROUTE_REPLY.noneUsable) return { kind: 'no-usable-key' };
  return { kind: 'too-long', estimatedWaitMs: ms };
}

/** Gives back a reservation whose job will never start (removed while waiting, failed to enqueue). */
export async function releaseReservation(redis: Redis, base: string, requestId: string, quota: RequestQuota = 'free'): Promise<void> {
  await redis.zrem(quota === 'paid' ? keyPaidPendingOf(base) : keyPendingOf(base), requestId);
}
