import type { RedisClient } from '../redis/redis-client.js';
import type { KeyLimits } from '../config/config.js';
import type { RequestQuota } from '../accounts/request-quota.js';
import { LuaScript } from '../limits/lua-script.js';
import { accountArgs, enforcedSpacingMs } from '../limits/key-slots.js';
import { ROUTE_REPLY } from '../limits/lua-constants.js';

const routeScript = new LuaScript('route');
const syncScript = new LuaScript('route-index-sync');
const releaseScript = new LuaScript('route-release');
const reindexScript = new LuaScript('route-reindex');

export type RouteDecision =
  | { kind: 'routed'; index: number; estimatedWaitMs: number }
  | { kind: 'exhausted'; resetInMs: number }
  /** Every key is invalid or out of credits: no wait helps until the probe finds one working. */
  | { kind: 'no-usable-key' }
  | { kind: 'too-long'; estimatedWaitMs: number };

export interface RouteInput {
  requestId: string;
  /** `RedisKeys.keyBase(id)` for every key, in registry order (the pool the index holds). */
  bases: readonly string[];
  /** Bases the request must not be routed to (e.g. the key that just failed it). */
  exclude?: readonly string[];
  limits: KeyLimits;
  /** The longest acceptable wait for a start (ms): a longer estimate is refused as too long. */
  maxWaitMs: number;
  /** `RedisKeys.accountOfKey()` */
  accountMap: string;
  quota?: RequestQuota;
  /** A queued request looking for a sooner slot on another key (only that key's queue counts ahead of it). */
  moving?: boolean;
}

/** A reservation not started within the longest wait plus this is dropped (a lost job). */
const RESERVATION_GRACE_MS = 60_000;

/** Per Redis client, the account maps whose index this process has synced with its pool. */
const synced = new WeakMap<RedisClient, Map<string, readonly string[]>>();

/**
 * Makes the routing index hold exactly `bases`, each entry recomputed, with these limits. Each
 * process does it before its first route (O(keys), once); tests do it after changing state by hand.
 */
export async function syncRouteIndex(redis: RedisClient, accountMap: string, bases: readonly string[], limits: KeyLimits): Promise<void> {
  const [scope, explicit] = accountArgs(limits);
  await syncScript.run(redis, [accountMap], [
    accountMap,
    enforcedSpacingMs(limits),
    limits.perMinute,
    limits.perDay,
    explicit,
    scope,
    limits.paidPerMinute ?? 0,
    ...bases,
  ]);
  let maps = synced.get(redis);
  if (!maps) synced.set(redis, (maps = new Map<string, readonly string[]>()));
  maps.set(accountMap, bases);
}

function samePool(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a === b || (a !== undefined && a.length === b.length && a.every((base, i) => base === b[i]));
}

/**
 * Chooses the key whose next free slot comes first, by its account's minute and day, counting
 * queued work, and reserves a place on it (expiring with the request's wait if never started).
 * Reads only the best few entries of the routing index: its cost does not grow with the keys.
 */
export async function routeRequest(redis: RedisClient, input: RouteInput): Promise<RouteDecision> {
  if (!samePool(synced.get(redis)?.get(input.accountMap), input.bases)) await syncRouteIndex(redis, input.accountMap, input.bases, input.limits);
  const [scope, explicit] = accountArgs(input.limits);
  const reply = await routeScript.run(redis, [input.accountMap], [
    input.requestId,
    input.maxWaitMs + RESERVATION_GRACE_MS,
    input.maxWaitMs,
    enforcedSpacingMs(input.limits),
    input.limits.perMinute,
    input.limits.perDay,
    input.accountMap,
    scope,
    explicit,
    input.quota ?? 'free',
    input.limits.paidPerMinute ?? 0,
    input.moving ? 1 : 0,
    ...(input.exclude ?? []),
  ]);
  if (!Array.isArray(reply) || reply.length < 2) throw new Error('unexpected reply from route.lua');
  const code = Number(reply[0]);
  const ms = Number(reply[1]);
  if (code === ROUTE_REPLY.routed) {
    const base = String(reply[2]);
    const index = input.bases.indexOf(base);
    if (index >= 0) return { kind: 'routed', index, estimatedWaitMs: ms };
    // Another process's pool (a key removed from this one's configuration): give it back, and
    // rebuild the index from this process's pool before trying again.
    await releaseReservation(redis, { accountMap: input.accountMap, base, requestId: input.requestId, quota: input.quota });
    await syncRouteIndex(redis, input.accountMap, input.bases, input.limits);
    return routeRequest(redis, { ...input, exclude: [...(input.exclude ?? []), base] });
  }
  if (code === ROUTE_REPLY.unsynced) {
    // Redis lost its data (a restart without persistence): the index is rebuilt from this pool.
    await syncRouteIndex(redis, input.accountMap, input.bases, input.limits);
    return routeRequest(redis, input);
  }
  if (code === ROUTE_REPLY.noneToday) return { kind: 'exhausted', resetInMs: ms };
  if (code === ROUTE_REPLY.noneUsable) return { kind: 'no-usable-key' };
  return { kind: 'too-long', estimatedWaitMs: ms };
}

/** Gives back a reservation whose job will never start (removed while waiting, failed to enqueue). */
export async function releaseReservation(redis: RedisClient, r: { accountMap: string; base: string; requestId: string; quota?: RequestQuota | undefined }): Promise<void> {
  await releaseScript.run(redis, [r.accountMap], [r.accountMap, r.base, r.requestId, r.quota ?? 'free']);
}

/** Recomputes one key's routing index entries after a change made outside the limit scripts. */
export async function reindexKey(redis: RedisClient, accountMap: string, base: string): Promise<void> {
  await reindexScript.run(redis, [accountMap], [accountMap, base]);
}
