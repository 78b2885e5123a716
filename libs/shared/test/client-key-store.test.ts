import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ClientKeyStore } from '../src/client-keys/client-key-store.js';
import { hashClientKey, isWellFormedClientKey, maskClientKey } from '../src/client-keys/client-key-format.js';
import { parseClientKeyPatch, parseNewClientKey } from '../src/client-keys/client-key-input.js';
import { BadRequestError } from '../src/errors/http-errors.js';
import { redisFixture } from './redis-fixture.js';

let fx: ReturnType<typeof redisFixture>;
let store: ClientKeyStore;
beforeEach(() => {
  fx = redisFixture();
  store = new ClientKeyStore(fx.redis, fx.keys.prefix);
});
afterEach(async () => {
  await fx.cleanup();
});

/** Every key and value written under the test's prefix, as one string. */
async function dump(): Promise<string> {
  const keys = await fx.redis.keys(`${fx.keys.prefix}:*`);
  const parts = [...keys];
  for (const key of keys) {
    const type = await fx.redis.type(key);
    if (type === 'hash') parts.push(JSON.stringify(await fx.redis.hgetall(key)));
    if (type === 'zset') parts.push(JSON.stringify(await fx.redis.zrange(key, 0, -1)));
  }
  return parts.join('\n');
}

describe('issuing and listing', () => {
  test('a new key is shown once; only its hash and mask are stored', async () => {
    const issued = await store.create({ name: 'n8n', rateLimit: 10 });
    expect(isWellFormedClientKey(issued.key)).toBe(true);
    expect(issued).toMatchObject({ name: 'n8n', rateLimit: 10, active: true, masked: maskClientKey(issued.key), lastUsedAt: null });
    const stored = await dump();
    expect(stored).toContain(hashClientKey(issued.key));
    expect(stored).not.toContain(issued.key);
    expect(stored).not.toContain(issued.key.slice(7, 40));

    const { key: _key, ...info } = issued;
    expect(await store.list()).toEqual([info]);
    expect(JSON.stringify(await store.list())).not.toContain(issued.key);
  });

  test('lists in order of creation and survives a new store (another process, a restart)', async () => {
    const a = await store.create({ name: 'a', rateLimit: 0 });
    const b = await store.create({ name: 'b', rateLimit: 0 });
    const other = new ClientKeyStore(fx.redis, fx.keys.prefix);
    expect((await other.list()).map((k) => k.id)).toEqual([a.id, b.id]);
    expect(await other.admit(b.key, randomUUID())).toEqual({ kind: 'admitted', id: b.id });
  });
});

describe('admission', () => {
  test('counts requests today and in total, and records last use', async () => {
    const k = await store.create({ name: 'c', rateLimit: 0 });
    for (let i = 0; i < 3; i++) expect((await store.admit(k.key, randomUUID())).kind).toBe('admitted');
    const info = await store.get(k.id);
    expect(info?.usage.today.requests).toBe(3);
    expect(info?.usage.total.requests).toBe(3);
    expect(info?.lastUsedAt).not.toBeNull();
  });

  test('an unknown key is unknown; a deleted key is unknown at once', async () => {
    const k = await store.create({ name: 'd', rateLimit: 0 });
    expect(await store.admit(`sk-ork-${'x'.repeat(43)}`, randomUUID())).toEqual({ kind: 'unknown' });
    expect(await store.remove(k.id)).toBe(true);
    expect(await store.admit(k.key, randomUUID())).toEqual({ kind: 'unknown' });
    expect(await store.remove(k.id)).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  test('a deactivated key is refused until it is activated again', async () => {
    const k = await store.create({ name: 'e', rateLimit: 0 });
    await store.update(k.id, { active: false });
    expect(await store.admit(k.key, randomUUID())).toEqual({ kind: 'disabled', id: k.id });
    await store.update(k.id, { active: true });
    expect((await store.admit(k.key, randomUUID())).kind).toBe('admitted');
  });

  test('rateLimit is a sliding minute: the next request may come when the oldest leaves it', async () => {
    const k = await store.create({ name: 'f', rateLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await store.admit(k.key, randomUUID())).kind).toBe('admitted');
    const over = await store.admit(k.key, randomUUID());
    expect(over).toMatchObject({ kind: 'limited', id: k.id, limit: 3 });
    if (over.kind !== 'limited') return;
    expect(over.retryAfterMs).toBeGreaterThan(55_000);
    expect(over.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Refused requests are not counted and do not extend the window.
    expect((await store.get(k.id))?.usage.total.requests).toBe(3);
    const window = `${store.names.record(k.id)}:window`;
    const [member] = await fx.redis.zrange(window, 0, 0);
    await fx.redis.zadd(window, Date.now() - 61_000, member!);
    expect((await store.admit(k.key, randomUUID())).kind).toBe('admitted');
  });

  test('lowering rateLimit applies to the requests already in the window', async () => {
    const k = await store.create({ name: 'g', rateLimit: 5 });
    for (let i = 0; i < 3; i++) await store.admit(k.key, randomUUID());
    await store.update(k.id, { rateLimit: 2 });
    expect((await store.admit(k.key, randomUUID())).kind).toBe('limited');
    await store.update(k.id, { rateLimit: 0 });
    expect((await store.admit(k.key, randomUUID())).kind).toBe('admitted');
  });
});

describe('changes and tokens', () => {
  test('update changes name, rateLimit and active; unknown ids are undefined', async () => {
    const k = await store.create({ name: 'h', rateLimit: 0 });
    expect(await store.update(k.id, { name: 'renamed', rateLimit: 7 })).toMatchObject({ name: 'renamed', rateLimit: 7, active: true });
    expect(await store.update('ck_0000000000000000', { name: 'x' })).toBeUndefined();
    expect(await store.update('../etc', { name: 'x' })).toBeUndefined();
    expect(await fx.redis.exists(store.names.record('ck_0000000000000000'))).toBe(0);
  });

  test('tokens add up today and in total, and never bring a deleted key back', async () => {
    const k = await store.create({ name: 'i', rateLimit: 0 });
    await store.recordTokens(k.id, { promptTokens: 10, completionTokens: 5 });
    await store.recordTokens(k.id, { promptTokens: 1, completionTokens: 2 });
    const usage = (await store.get(k.id))?.usage;
    expect(usage?.today).toMatchObject({ promptTokens: 11, completionTokens: 7 });
    expect(usage?.total).toMatchObject({ promptTokens: 11, completionTokens: 7 });
    await store.remove(k.id);
    await store.recordTokens(k.id, { promptTokens: 1, completionTokens: 1 });
    expect(await fx.redis.exists(store.names.record(k.id))).toBe(0);
  });
});

describe('input', () => {
  test('accepts the contract body; rateLimit absent or null is no limit', () => {
    expect(parseNewClientKey({ name: ' n8n ', rateLimit: 100 })).toEqual({ name: 'n8n', rateLimit: 100 });
    expect(parseNewClientKey({ name: 'x' })).toEqual({ name: 'x', rateLimit: 0 });
    expect(parseNewClientKey({ name: 'x', rateLimit: null })).toEqual({ name: 'x', rateLimit: 0 });
    expect(parseClientKeyPatch({ active: false })).toEqual({ active: false });
  });

  test.each([
    [undefined, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x', rateLimit: -1 }, 'rateLimit'],
    [{ name: 'x', rateLimit: 1.5 }, 'rateLimit'],
    [{ name: 'x', rateLimit: '10' }, 'rateLimit'],
    [{ name: 'x', extra: 1 }, null],
  ])('refuses %j with a 400 naming %s', (body, param) => {
    expect(() => parseNewClientKey(body)).toThrow(BadRequestError);
    try {
      parseNewClientKey(body);
    } catch (err) {
      expect((err as BadRequestError).param).toBe(param);
    }
  });

  test('a change must change something', () => {
    expect(() => parseClientKeyPatch({})).toThrow(/at least one/);
    expect(() => parseClientKeyPatch({ active: 'no' })).toThrow(BadRequestError);
  });
});
