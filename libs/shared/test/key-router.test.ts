import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { routeRequest, releaseReservation } from '../src/routing/key-router.js';
import type { KeyLimits } from '../src/config/config.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
let bases: string[];
beforeEach(() => {
  fx = redisFixture();
  bases = ['a', 'b', 'c'].map((id) => fx.keys.keyBase(id));
});
afterEach(async () => {
  await fx.cleanup();
});

const limits = (l: Partial<KeyLimits>): KeyLimits => ({ minIntervalMs: 0, perMinute: 0, perDay: 0, ...l });
const route = (l: KeyLimits, b = bases, queueTimeoutMs = 600_000) =>
  routeRequest(fx.redis, { requestId: randomUUID(), bases: b, limits: l, maxWaitMs: queueTimeoutMs, accountMap: fx.keys.accountOfKey() });

describe('route.lua', () => {
  test('spreads a burst evenly: each new request goes to the key whose next slot comes first', async () => {
    const l = limits({ minIntervalMs: 1_000 });
    const picks = [];
    for (let i = 0; i < 9; i++) {
      const d = await route(l);
      expect(d.kind).toBe('routed');
      if (d.kind === 'routed') picks.push(d.index);
    }
    expect(picks.filter((p) => p === 0)).toHaveLength(3);
    expect(picks.filter((p) => p === 1)).toHaveLength(3);
    expect(picks.filter((p) => p === 2)).toHaveLength(3);
  });

  test('prefers a key that is free now over one that just started a request', async () => {
    await fx.redis.hset(`${bases[0]}:state`, 'last', Date.now());
    const d = await route(limits({ minIntervalMs: 5_000 }), bases.slice(0, 2));
    expect(d).toMatchObject({ kind: 'routed', index: 1 });
  });

  test('never promises more than today’s quota, counting started and reserved requests', async () => {
    const l = limits({ perDay: 2 });
    await fx.redis.hset(`${bases[0]}:day:${Math.floor(Date.now() / 86_400_000)}`, 'started', 2);
    const routed = [await route(l), await route(l), await route(l), await route(l)];
    expect(routed.map((d) => d.kind)).toEqual(['routed', 'routed', 'routed', 'routed']);
    const refused = await route(l);
    expect(refused.kind).toBe('exhausted');
  });

  test('a released reservation frees its quota again', async () => {
    const l = limits({ perDay: 1 });
    const id = randomUUID();
    expect(await routeRequest(fx.redis, { requestId: id, bases: bases.slice(0, 1), limits: l, maxWaitMs: 600_000, accountMap: fx.keys.accountOfKey() })).toMatchObject({ kind: 'routed' });
    expect((await route(l, bases.slice(0, 1))).kind).toBe('exhausted');
    await releaseReservation(fx.redis, { accountMap: fx.keys.accountOfKey(), base: bases[0]!, requestId: id });
    expect((await route(l, bases.slice(0, 1))).kind).toBe('routed');
  });

  test('refuses at once when the estimated wait exceeds the queue timeout', async () => {
    const l = limits({ minIntervalMs: 10_000 });
    const one = bases.slice(0, 1);
    expect(await route(l, one, 15_000)).toMatchObject({ kind: 'routed', estimatedWaitMs: 0 });
    expect((await route(l, one, 15_000)).kind).toBe('routed');
    const third = await route(l, one, 15_000);
    expect(third.kind).toBe('too-long');
    if (third.kind === 'too-long') expect(third.estimatedWaitMs).toBeGreaterThan(15_000);
  });

  test('skips disabled keys', async () => {
    await fx.redis.hset(`${bases[0]}:state`, 'disabled', 'invalid');
    await fx.redis.hset(`${bases[1]}:state`, 'disabled', 'invalid');
    for (let i = 0; i < 3; i++) expect(await route(limits({}))).toMatchObject({ kind: 'routed', index: 2 });
  });
});
