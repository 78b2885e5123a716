import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AccountRegistry } from '../src/accounts/account-registry.js';
import { accountRef, maskAccountId } from '../src/accounts/account-id.js';
import { acquireSlot, type SlotTarget } from '../src/limits/key-slots.js';
import { useTestClock } from '../src/limits/lua-script.js';
import { reindexKey, releaseReservation, routeRequest, syncRouteIndex } from '../src/routing/key-router.js';
import type { KeyLimits } from '../src/config/config.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
const limits = (l: Partial<KeyLimits>): KeyLimits => ({ minIntervalMs: 0, perMinute: 0, perDay: 0, ...l });
const basesOf = (n: number): string[] => Array.from({ length: n }, (_, i) => fx.keys.keyBase(`k${i}`));
const route = (redis: Redis, bases: readonly string[], l: KeyLimits, extra: { exclude?: string[]; maxWaitMs?: number; id?: string } = {}) =>
  routeRequest(redis, {
    requestId: extra.id ?? randomUUID(),
    bases,
    limits: l,
    maxWaitMs: extra.maxWaitMs ?? 600_000,
    accountMap: fx.keys.accountOfKey(),
    ...(extra.exclude ? { exclude: extra.exclude } : {}),
  });
const target = (base: string): SlotTarget => ({ base, limiterKey: `${base}:test-limiter`, accountMap: fx.keys.accountOfKey() });
const shared = { ref: accountRef('upstream', 'user_index'), masked: maskAccountId('user_index0123456789'), source: 'upstream' as const };

beforeEach(() => {
  fx = redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('the routing index', () => {
  test('1,000 keys: a burst of 2,000 spaced requests lands exactly twice on every key', async () => {
    const bases = basesOf(1_000);
    const l = limits({ minIntervalMs: 1_000 });
    const counts = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) {
      const d = await route(fx.redis, bases, l);
      if (d.kind !== 'routed') throw new Error(d.kind);
      counts.set(d.index, (counts.get(d.index) ?? 0) + 1);
    }
    expect(counts.size).toBe(1_000);
    expect([...counts.values()].every((c) => c === 2)).toBe(true);
  });

  test('1,000 keys: a key that just started is passed over until the others are as busy', async () => {
    const bases = basesOf(1_000);
    const l = limits({ minIntervalMs: 60_000 });
    await syncRouteIndex(fx.redis, fx.keys.accountOfKey(), bases, l);
    const id = randomUUID();
    const first = await route(fx.redis, bases, l, { id });
    if (first.kind !== 'routed') throw new Error(first.kind);
    expect((await acquireSlot(fx.redis, target(bases[first.index]!), fx.keys.cancel(id), id, l)).kind).toBe('granted');
    const picked = new Set<number>();
    for (let i = 0; i < 999; i++) {
      const d = await route(fx.redis, bases, l);
      if (d.kind !== 'routed') throw new Error(d.kind);
      expect(d.estimatedWaitMs).toBe(0);
      picked.add(d.index);
    }
    expect(picked.size).toBe(999);
    expect(picked.has(first.index)).toBe(false);
  });

  test('a disabled key leaves rotation and comes back when enabled', async () => {
    const bases = basesOf(3);
    const l = limits({});
    await syncRouteIndex(fx.redis, fx.keys.accountOfKey(), bases, l);
    await fx.redis.hset(`${bases[1]}:state`, 'disabled', 'invalid');
    await reindexKey(fx.redis, fx.keys.accountOfKey(), bases[1]!);
    for (let i = 0; i < 6; i++) expect(await route(fx.redis, bases, l)).not.toMatchObject({ index: 1 });
    await fx.redis.hdel(`${bases[1]}:state`, 'disabled');
    await reindexKey(fx.redis, fx.keys.accountOfKey(), bases[1]!);
    expect(await route(fx.redis, bases, l)).toMatchObject({ kind: 'routed', index: 1 });
    for (const b of bases) {
      await fx.redis.hset(`${b}:state`, 'disabled', 'no-credits');
      await reindexKey(fx.redis, fx.keys.accountOfKey(), b);
    }
    expect(await route(fx.redis, bases, l)).toEqual({ kind: 'no-usable-key' });
  });

  test('a key never goes back to a key it must skip, even the only free one', async () => {
    const bases = basesOf(2);
    const l = limits({ minIntervalMs: 10_000 });
    const d = await route(fx.redis, bases, l, { exclude: [bases[0]!] });
    expect(d).toMatchObject({ kind: 'routed', index: 1 });
    const again = await route(fx.redis, bases, l, { exclude: [bases[1]!] });
    expect(again).toMatchObject({ kind: 'routed', index: 0 });
    expect(await route(fx.redis, bases, l, { exclude: bases })).toMatchObject({ kind: 'exhausted' });
  });

  test("an account joining makes its keys share one day: reservations move with the key", async () => {
    const bases = basesOf(2);
    const registry = new AccountRegistry(fx.redis, fx.keys);
    const l = limits({ perDay: 3 });
    await syncRouteIndex(fx.redis, fx.keys.accountOfKey(), bases, l);
    // Alone, each key has 3 for today: 2 reserved on each.
    for (let i = 0; i < 4; i++) expect((await route(fx.redis, bases, l)).kind).toBe('routed');
    await registry.assign('k0', shared);
    await registry.assign('k1', shared);
    // Together they have 3, and 4 are already reserved.
    expect((await route(fx.redis, bases, l)).kind).toBe('exhausted');
    await registry.assign('k1', null);
    // k1 alone again: its 2 reservations leave the account with it; each has 1 left.
    const picks = [await route(fx.redis, bases, l), await route(fx.redis, bases, l)].map((d) => (d.kind === 'routed' ? d.index : d.kind));
    expect(picks.sort()).toEqual([0, 1]);
    expect((await route(fx.redis, bases, l)).kind).toBe('exhausted');
  });

  test('a released reservation frees the day again, for the key and its account', async () => {
    const bases = basesOf(2);
    const registry = new AccountRegistry(fx.redis, fx.keys);
    const l = limits({ perDay: 1 });
    await syncRouteIndex(fx.redis, fx.keys.accountOfKey(), bases, l);
    await registry.assign('k0', shared);
    await registry.assign('k1', shared);
    const id = randomUUID();
    const d = await route(fx.redis, bases, l, { id });
    if (d.kind !== 'routed') throw new Error(d.kind);
    expect((await route(fx.redis, bases, l)).kind).toBe('exhausted');
    await releaseReservation(fx.redis, { accountMap: fx.keys.accountOfKey(), base: bases[d.index]!, requestId: id });
    expect((await route(fx.redis, bases, l)).kind).toBe('routed');
  });

  test('the day resetting brings a spent account back without any script touching it', async () => {
    const onClock = new Redis(fx.url, { maxRetriesPerRequest: null });
    try {
      useTestClock(onClock, fx.keys.testClockOffset());
      const bases = basesOf(2);
      const l = limits({ perDay: 1 });
      const [seconds] = await fx.redis.time();
      const now = Number(seconds) * 1_000;
      // Ten seconds before midnight on the test clock.
      const midnight = (Math.floor(now / 86_400_000) + 1) * 86_400_000;
      await fx.redis.set(fx.keys.testClockOffset(), String(midnight - 10_000 - now));
      for (const b of bases) {
        const id = randomUUID();
        const d = await route(onClock, bases, l, { id });
        if (d.kind !== 'routed') throw new Error(d.kind);
        expect((await acquireSlot(onClock, target(bases[d.index]!), fx.keys.cancel(id), id, l)).kind).toBe('granted');
        expect(b).toBeDefined();
      }
      const spent = await route(onClock, bases, l);
      expect(spent.kind).toBe('exhausted');
      await fx.redis.set(fx.keys.testClockOffset(), String(midnight + 1_000 - now));
      expect((await route(onClock, bases, l)).kind).toBe('routed');
      expect((await route(onClock, bases, l)).kind).toBe('routed');
      expect((await route(onClock, bases, l)).kind).toBe('exhausted');
    } finally {
      onClock.disconnect();
    }
  });

  test('a key removed from the pool leaves the index', async () => {
    const bases = basesOf(3);
    const l = limits({});
    await syncRouteIndex(fx.redis, fx.keys.accountOfKey(), bases, l);
    const smaller = bases.slice(0, 2);
    for (let i = 0; i < 6; i++) expect(await route(fx.redis, smaller, l)).not.toMatchObject({ index: 2 });
    expect(await fx.redis.zscore(`${fx.keys.accountOfKey()}:route-ready`, bases[2]!)).toBeNull();
  });

  test('an index lost with Redis\'s data is rebuilt by the next route', async () => {
    const bases = basesOf(3);
    const l = limits({});
    expect((await route(fx.redis, bases, l)).kind).toBe('routed');
    const map = fx.keys.accountOfKey();
    await fx.redis.del(`${map}:route-config`, `${map}:route-ready`, `${map}:route-waiting`, `${map}:route-spent`, `${map}:route-paid`);
    expect((await route(fx.redis, bases, l)).kind).toBe('routed');
    expect(await fx.redis.zcard(`${map}:route-ready`)).toBe(3);
  });

  test('paid-model requests go to the usable key with the least paid work waiting', async () => {
    const bases = basesOf(3);
    const l = limits({ minIntervalMs: 60_000, perDay: 1 });
    const picks: number[] = [];
    for (let i = 0; i < 9; i++) {
      const d = await routeRequest(fx.redis, { requestId: randomUUID(), bases, limits: l, maxWaitMs: 1_000, accountMap: fx.keys.accountOfKey(), quota: 'paid' });
      if (d.kind !== 'routed') throw new Error(d.kind);
      picks.push(d.index);
    }
    expect([0, 1, 2].map((k) => picks.filter((p) => p === k).length)).toEqual([3, 3, 3]);
  });
});
