import type { Redis } from 'ioredis';
import type { KeyLimits } from '../config/config.js';
import { ROUTE_REPLY } from '../limits/lua-constants.js';
import { LuaScript, pair } from '../limits/lua-script.js';
import { keyPendingOf } from '../limits/redis-keys.js';
import { enforcedSpacingMs } from '../limits/key-slots.js';

const routeScript = new LuaScript('route');

export type RouteDecision =
  | { kind: 'routed'; index: number; estimatedWaitMs: number }
  | { kind: 'exhausted'; resetInMs: number }
  | { kind: 'too-long'; estimatedWaitMs: number };

export interface RouteInput {
  requestId: string;
  /** `RedisKeys.keyBase(id)` for every key, in registry order. */
  bases: readonly string[];
  /** Bases the request must not be routed to (e.g. the key that just failed it). */
  exclude?: readonly string[];
  limits: KeyLimits;
  queueTimeoutMs: number;
}

/**
 * Chooses the key whose next free slot comes first, counting queued work and today's quota,
 * and reserves a place on it (expiring with the request's timeout if it is never started).
 */
export async function routeRequest(redis: Redis, input: RouteInput): Promise<RouteDecision> {
  const [index, ms] = pair(
    await routeScript.run(redis, [], [
      input.requestId,
      input.queueTimeoutMs + 60_000,
      input.queueTimeoutMs,
      enforcedSpacingMs(input.limits),
      input.limits.perMinute,
      input.limits.perDay,
      ...input.bases.map((b) => (input.exclude?.includes(b) ? `!${b}` : b)),
    ]),
  );
  if (index > 0) return { kind: 'routed', index: index - 1, estimatedWaitMs: ms };
  if (index === ROUTE_REPLY.noneToday) return { kind: 'exhausted', resetInMs: ms };
  return { kind: 'too-long', estimatedWaitMs: ms };
}

/** Gives back a reservation whose job will never start (removed while waiting, failed to enqueue). */
export async function releaseReservation(redis: Redis, base: string, requestId: string): Promise<void> {
  await redis.zrem(keyPendingOf(base), requestId);
}
