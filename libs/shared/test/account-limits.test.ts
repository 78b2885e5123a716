import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AccountRegistry } from '../src/accounts/account-registry.js';
import { accountRef, maskAccountId } from '../src/accounts/account-id.js';
import { parseKeyInfo } from '../src/accounts/key-info.js';
import { requestQuota } from '../src/accounts/request-quota.js';
import { acquireSlot, type SlotTarget } from '../src/limits/key-slots.js';
import { routeRequest } from '../src/routing/key-router.js';
import { readKeyLimitStatus } from '../src/status/key-status.js';
import { groupAccounts } from '../src/status/account-status.js';
import type { KeyLimits } from '../src/config/config.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
let registry: AccountRegistry;
const target = (id: string): SlotTarget => ({ base: fx.keys.keyBase(id), limiterKey: `${fx.keys.prefix}:limiter:${id}`, accountMap: fx.keys.accountOfKey() });
beforeEach(() => {
  fx = redisFixture();
  registry = new AccountRegistry(fx.redis, fx.keys);
});
afterEach(async () => {
  await fx.cleanup();
});

const limits = (l: Partial<KeyLimits>): KeyLimits => ({ minIntervalMs: 0, perMinute: 0, perDay: 0, ...l });
const acquire = (keyId: string, l: KeyLimits, quota: 'free' | 'paid' = 'free', id = randomUUID()) =>
  acquireSlot(fx.redis, target(keyId), fx.keys.cancel(id), id, l, quota);
const shared = { ref: accountRef('upstream', 'user_shared'), masked: maskAccountId('user_shared0123456789'), source: 'upstream' as const };
const route = (keyIds: string[], l: KeyLimits) =>
  routeRequest(fx.redis, { requestId: randomUUID(), bases: keyIds.map((k) => fx.keys.keyBase(k)), limits: l, maxWaitMs: 600_000, accountMap: fx.keys.accountOfKey() });

describe('the account model', () => {
  test('reads GET /key, tolerating older answers without the newer fields', () => {
    const full = { data: { creator_user_id: 'user_abc', free_model_daily_requests: { used: 3, limit: 50, remaining: 47 }, limit_remaining: 0 } };
    expect(parseKeyInfo(JSON.stringify(full))).toEqual({ creatorUserId: 'user_abc', freeDaily: { used: 3, limit: 50 }, creditRemaining: 0 });
    expect(parseKeyInfo('{"data":{"label":"x","limit_remaining":null}}')).toEqual({ creatorUserId: null, freeDaily: null, creditRemaining: null });
    expect(parseKeyInfo('not json')).toBeUndefined();
    expect(maskAccountId('user_2abcdefghij9f3c')).toBe('user_2a…9f3c');
    expect(accountRef('upstream', 'user_abc')).not.toContain('abc');
  });

  test.each([
    [{ model: 'meta-llama/llama-4-maverick:free' }, 'free'],
    [{ model: 'openai/gpt-4o' }, 'paid'],
    [{ models: ['openai/gpt-4o', 'google/gemma-3-27b-it:free'] }, 'free'],
    [{}, 'free'],
  ])('a request %j is held to the %s limits', (body, quota) => {
    expect(requestQuota(body)).toBe(quota);
  });
});

describe('limits per account', () => {
  test('keys of one account share its sliding minute and its day; a key of another account does not', async () => {
    await registry.assign('k1', shared);
    await registry.assign('k2', shared);
    const l = limits({ perMinute: 3, perDay: 5 });
    expect((await acquire('k1', l)).kind).toBe('granted');
    expect((await acquire('k2', l)).kind).toBe('granted');
    expect((await acquire('k1', l)).kind).toBe('granted');
    expect((await acquire('k2', l)).kind).toBe('wait-in-queue');
    expect((await acquire('k3', l)).kind).toBe('granted');
  });

  test('a key that counted alone brings its starts when it joins its account', async () => {
    const l = limits({ perMinute: 3 });
    expect((await acquire('k1', l)).kind).toBe('granted');
    expect((await acquire('k1', l)).kind).toBe('granted');
    await registry.assign('k2', shared);
    expect(await registry.assign('k1', shared)).toBe(true);
    expect(await registry.assign('k1', shared)).toBe(false);
    expect((await acquire('k2', l)).kind).toBe('granted');
    expect((await acquire('k2', l)).kind).toBe('wait-in-queue');
    const status = await readKeyLimitStatus(fx.redis, { id: 'k2', base: fx.keys.keyBase('k2') }, l, fx.keys.accountOfKey());
    expect(status.account).toMatchObject({ known: true, source: 'upstream', started: 3, thisMinute: 3 });
  });

  test("upstream's count of today's requests and its ceiling replace the configured day, unless that was set explicitly", async () => {
    await registry.assign('k1', shared);
    const base = await registry.accountBaseOf('k1');
    await registry.recordUpstreamUsage(base, 48, 50, 'k1');
    expect((await acquire('k1', limits({ perDay: 200 }))).kind).toBe('granted');
    expect((await acquire('k1', limits({ perDay: 200 }))).kind).toBe('granted');
    expect((await acquire('k1', limits({ perDay: 200 }))).kind).toBe('exhausted');
    const status = await readKeyLimitStatus(fx.redis, { id: 'k1', base: fx.keys.keyBase('k1') }, limits({ perDay: 200 }), fx.keys.accountOfKey());
    expect(status.account).toMatchObject({ used: 50, limit: 50, limitSource: 'upstream', upstreamUsed: 48, upstreamLimit: 50 });
    expect(status.state).toBe('exhausted');
    // KEY_REQUESTS_PER_DAY=200 set by the operator: its ceiling holds; upstream's count still does.
    const explicit = limits({ perDay: 200, perDayExplicit: true });
    expect((await acquire('k1', explicit)).kind).toBe('granted');
    expect((await readKeyLimitStatus(fx.redis, { id: 'k1', base: fx.keys.keyBase('k1') }, explicit, fx.keys.accountOfKey())).account).toMatchObject({
      used: 51,
      limit: 200,
      limitSource: 'config',
    });
  });

  test('paid-model requests pass while the free quota is spent, and count toward none of it', async () => {
    await registry.assign('k1', shared);
    const l = limits({ perDay: 1, perMinute: 1, minIntervalMs: 60_000 });
    expect((await acquire('k1', l)).kind).toBe('granted');
    expect((await acquire('k1', l)).kind).toBe('exhausted');
    for (let i = 0; i < 3; i++) expect((await acquire('k1', l, 'paid')).kind).toBe('granted');
    const status = await readKeyLimitStatus(fx.redis, { id: 'k1', base: fx.keys.keyBase('k1') }, l, fx.keys.accountOfKey());
    expect(status.today).toMatchObject({ started: 1, paidStarted: 3 });
    expect(status.account.used).toBe(1);
  });

  test('PAID_REQUESTS_PER_MINUTE caps paid requests per key, on their own', async () => {
    const l = limits({ paidPerMinute: 2 });
    expect((await acquire('k1', l, 'paid')).kind).toBe('granted');
    expect((await acquire('k1', l, 'paid')).kind).toBe('granted');
    const third = await acquire('k1', l, 'paid');
    expect(third.kind).toBe('wait-here');
    if (third.kind === 'wait-here') expect(third.ms).toBeGreaterThan(59_000);
    expect((await acquire('k1', l)).kind).toBe('granted');
  });

  test('spacing holds per key by default, per account with KEY_MIN_INTERVAL_SCOPE=account', async () => {
    await registry.assign('k1', shared);
    await registry.assign('k2', shared);
    const perKey = limits({ minIntervalMs: 10_000 });
    expect((await acquire('k1', perKey)).kind).toBe('granted');
    expect((await acquire('k2', perKey)).kind).toBe('granted');
    const perAccount = limits({ minIntervalMs: 10_000, spacingScope: 'account' });
    expect((await acquire('k1', perAccount)).kind).toBe('granted');
    expect((await acquire('k2', perAccount)).kind).toBe('wait-in-queue');
  });

  test('the router counts the account, not the key: its reservations on every key and what upstream says it used', async () => {
    await registry.assign('a1', shared);
    await registry.assign('a2', shared);
    const other = { ref: accountRef('upstream', 'user_other'), masked: 'user_ot…', source: 'upstream' as const };
    await registry.assign('b1', other);
    await registry.recordUpstreamUsage(await registry.accountBaseOf('b1'), 10, 10, 'b1');
    const l = limits({ perDay: 4 });
    const picks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = await route(['a1', 'a2', 'b1'], l);
      expect(d.kind).toBe('routed');
      if (d.kind === 'routed') picks.push(d.index);
    }
    // Account b is spent (upstream says 10 of 10); account a takes 4 however many keys it has.
    expect(picks.filter((p) => p === 2)).toHaveLength(0);
    expect((await route(['a1', 'a2', 'b1'], l)).kind).toBe('exhausted');
  });

  test('the router spreads over accounts by their minute: two accounts of two keys each take a burst evenly', async () => {
    for (const k of ['a1', 'a2']) await registry.assign(k, shared);
    for (const k of ['b1', 'b2']) await registry.assign(k, { ref: 'other', masked: 'other', source: 'config' });
    const l = limits({ perMinute: 3 });
    const waits: number[] = [];
    const byAccount = { a: 0, b: 0 };
    for (let i = 0; i < 8; i++) {
      const d = await route(['a1', 'a2', 'b1', 'b2'], l);
      if (d.kind !== 'routed') throw new Error(d.kind);
      waits.push(d.estimatedWaitMs);
      byAccount[d.index < 2 ? 'a' : 'b']++;
    }
    expect(byAccount).toEqual({ a: 4, b: 4 });
    // Six start now (3 per account); the 7th and 8th wait for their account's minute to slide.
    expect(waits.filter((w) => w === 0)).toHaveLength(6);
    expect(Math.min(...waits.filter((w) => w > 0))).toBeGreaterThan(59_000);
  });

  test('status groups keys by account', async () => {
    await registry.assign('k1', shared);
    await registry.assign('k2', shared);
    const l = limits({ perMinute: 20, perDay: 50 });
    await acquire('k1', l);
    const read = async (id: string) => ({ id, ...(await readKeyLimitStatus(fx.redis, { id, base: fx.keys.keyBase(id) }, l, fx.keys.accountOfKey())) });
    const accounts = groupAccounts([await read('k1'), await read('k2'), await read('k3')]);
    expect(accounts).toHaveLength(2);
    expect(accounts[0]).toMatchObject({ id: shared.masked, known: true, source: 'upstream', keys: ['k1', 'k2'], minute: { used: 1, limit: 20 } });
    expect(accounts[0]?.today).toEqual({ used: 1, limit: 50, remaining: 49, upstreamUsed: null, upstreamLimit: null, limitSource: 'config' });
    expect(accounts[1]).toMatchObject({ id: 'k3', known: false, source: 'key', keys: ['k3'] });
    expect(typeof accounts[1]?.nextFreeAt).toBe('number');
  });
});
