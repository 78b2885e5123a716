import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { acquireSlot, commitStart, enforcedSpacingMs, fetchLeadMs, startMember, type SlotTarget } from '../src/limits/key-slots.js';
import { msUntilNextUtcMidnight } from '../src/util/time.js';
import type { KeyLimits } from '../src/config/config.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
let target: SlotTarget;
beforeEach(() => {
  fx = redisFixture();
  target = { base: fx.keys.keyBase('k1'), limiterKey: `${fx.keys.prefix}:limiter`, accountMap: fx.keys.accountOfKey() };
});
afterEach(async () => {
  await fx.cleanup();
});

const limits = (l: Partial<KeyLimits>): KeyLimits => ({ minIntervalMs: 0, perMinute: 0, perDay: 0, ...l });
const acquire = (l: KeyLimits, redis = fx.redis, id = randomUUID()) => acquireSlot(redis, target, fx.keys.cancel(id), id, l);

describe('acquire.lua', () => {
  test('spacing: a second start waits the enforced interval after the first has left', async () => {
    const l = limits({ minIntervalMs: 1_000 });
    const first = randomUUID();
    expect(await acquireSlot(fx.redis, target, fx.keys.cancel(first), first, l)).toMatchObject({ kind: 'granted', startedToday: 1 });
    await commitStart(fx.redis, target, startMember(first, 1), l);
    const second = await acquire(l);
    expect(second.kind).toBe('wait-in-queue');
    if (second.kind !== 'wait-in-queue') return;
    expect(second.ms).toBeGreaterThan(enforcedSpacingMs(l) - 100);
    expect(second.ms).toBeLessThanOrEqual(enforcedSpacingMs(l));
    // The queue's BullMQ limiter is held until shortly before the slot (fetchLeadMs() before it).
    expect(await fx.redis.pttl(target.limiterKey)).toBeGreaterThan(enforcedSpacingMs(l) - fetchLeadMs(l) - 100);
  });

  test('the sliding minute: the (n+1)-th start in 61 s waits for the oldest to leave', async () => {
    const l = limits({ perMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await acquire(l)).kind).toBe('granted');
    const sixth = await acquire(l);
    expect(sixth.kind).toBe('wait-in-queue');
    if (sixth.kind === 'wait-in-queue') expect(sixth.ms).toBeGreaterThan(60_000);
  });

  test('the day: exhausted with the time until 00:00 UTC', async () => {
    const l = limits({ perDay: 2 });
    expect((await acquire(l)).kind).toBe('granted');
    expect((await acquire(l)).kind).toBe('granted');
    const third = await acquire(l);
    expect(third.kind).toBe('exhausted');
    if (third.kind === 'exhausted') expect(Math.abs(third.resetInMs - msUntilNextUtcMidnight(Date.now()))).toBeLessThan(2_000);
  });

  test('a learned, lower daily limit wins over the configured one', async () => {
    await fx.redis.hset(`${target.base}:state`, 'dayLimit', 1, 'dayLimitUntil', Date.now() + 60_000);
    expect((await acquire(limits({ perDay: 50 }))).kind).toBe('granted');
    expect((await acquire(limits({ perDay: 50 }))).kind).toBe('exhausted');
  });

  test('a learned limit lapses at its dayLimitUntil, and a learned 0 never means "no limit" (issue 12, finding 3)', async () => {
    await fx.redis.hset(`${target.base}:state`, 'dayLimit', 1, 'dayLimitUntil', Date.now() - 1);
    expect((await acquire(limits({ perDay: 2 }))).kind).toBe('granted');
    expect((await acquire(limits({ perDay: 2 }))).kind).toBe('granted');
    expect((await acquire(limits({ perDay: 2 }))).kind).toBe('exhausted');
    await fx.redis.hset(`${target.base}:state`, 'dayLimit', 0, 'dayLimitUntil', Date.now() + 60_000);
    expect((await acquire(limits({ perDay: 2 }))).kind).toBe('exhausted');
  });

  test('a cancelled request is never started and gives back its reservation', async () => {
    const id = randomUUID();
    await fx.redis.zadd(`${target.base}:pending`, Date.now() + 60_000, id);
    await fx.redis.set(fx.keys.cancel(id), '1');
    expect(await acquireSlot(fx.redis, target, fx.keys.cancel(id), id, limits({}))).toEqual({ kind: 'cancelled' });
    expect(await fx.redis.zcard(`${target.base}:pending`)).toBe(0);
    expect(await fx.redis.hget(`${target.base}:state`, 'last')).toBeNull();
  });

  test('a request that starts twice (a retry, a re-run after a crash) counts twice in the minute', async () => {
    const l = limits({ perMinute: 2 });
    const id = randomUUID();
    expect((await acquireSlot(fx.redis, target, fx.keys.cancel(id), id, l)).kind).toBe('granted');
    expect((await acquireSlot(fx.redis, target, fx.keys.cancel(id), id, l)).kind).toBe('granted');
    expect((await acquireSlot(fx.redis, target, fx.keys.cancel(id), id, l)).kind).toBe('wait-in-queue');
  });

  test('racing acquirers on several connections never grant more than the limits allow', async () => {
    const connections = Array.from({ length: 4 }, () => new Redis(fx.url, { maxRetriesPerRequest: null }));
    try {
      const l = limits({ perDay: 10, perMinute: 8 });
      const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => acquire(l, connections[i % 4])));
      expect(decisions.filter((d) => d.kind === 'granted')).toHaveLength(8);
      const started = await fx.redis.hget(`${target.base}:day:${Math.floor(Date.now() / 86_400_000)}`, 'started');
      expect(Number(started)).toBe(8);
    } finally {
      for (const c of connections) c.disconnect();
    }
  });

  test('a slot within the horizon is reserved: granted now, left no sooner than the wait after the reply, and the lock holds others back', async () => {
    const l = limits({ minIntervalMs: 100 });
    const first = randomUUID();
    expect((await acquireSlot(fx.redis, target, fx.keys.cancel(first), first, l)).kind).toBe('granted');
    await commitStart(fx.redis, target, startMember(first, 1), l);
    const committedAt = Number(await fx.redis.hget(`${target.base}:state`, 'last'));
    const before = performance.now();
    const second = await acquire(l);
    expect(second.kind).toBe('granted');
    if (second.kind !== 'granted') return;
    // The reply says how long to wait from its arrival: never less than the rest of the spacing.
    expect(second.departAt - before).toBeGreaterThan(enforcedSpacingMs(l) - 50);
    expect(Number(await fx.redis.hget(`${target.base}:state`, 'last'))).toBe(committedAt + enforcedSpacingMs(l));
    // Until the reserved request is committed, the next one is told to wait, never granted.
    const third = await acquire(l);
    expect(third.kind).toBe('wait-here');
  });

  test('a line’s next start may follow its previous one before that one’s commit, until another worker waits; only the holder’s commit frees the lock', async () => {
    const l = limits({ minIntervalMs: 100 });
    const lineA = { ...target, line: 'line-a' };
    const lineB = { ...target, line: 'line-b' };
    const ask = (t: SlotTarget, id = randomUUID()) => acquireSlot(fx.redis, t, fx.keys.cancel(id), id, l);
    const first = randomUUID();
    expect((await ask(lineA, first)).kind).toBe('granted');
    // Follows: granted with no wait from Redis (the worker spaces it from the first's departure).
    const secondId = randomUUID();
    const before = performance.now();
    const second = await ask(lineA, secondId);
    expect(second.kind).toBe('granted');
    if (second.kind === 'granted') expect(second.departAt - before).toBeLessThan(50);
    // The first's commit leaves the lock to the second.
    await commitStart(fx.redis, lineA, startMember(first, 1), l);
    expect(await fx.redis.hget(`${target.base}:state`, 'sendingMember')).toBe(startMember(secondId, 2));
    // Another worker's line waits, and from then on line A hands over instead of following.
    expect((await ask(lineB)).kind).toBe('wait-here');
    expect((await ask(lineA)).kind).toBe('wait-here');
    await commitStart(fx.redis, lineA, startMember(secondId, 2), l);
    expect(await fx.redis.hget(`${target.base}:state`, 'sendingUntil')).toBeNull();
  });

  test('while a granted request has not left the worker, the next one waits for its commit', async () => {
    const l = limits({ minIntervalMs: 1 });
    expect((await acquire(l)).kind).toBe('granted');
    // Past the 1 ms interval but before the commit: held back briefly, never granted.
    await fx.redis.hset(`${target.base}:state`, 'last', 0);
    expect(await acquire(l)).toEqual({ kind: 'wait-here', ms: 2 });
  });
});
