import { afterEach, describe, expect, test } from 'vitest';
import { RedisKeys, keyStateOf, maskKey } from '@ork/shared';
import type { SimRecord } from '@ork/simulator';
import { answerOf, chat, waitFor } from '../support/client.js';
import { idle, readStatus } from '../support/status.js';
import { fakeKey, startStack, type Stack } from '../support/stack.js';
import { expectWithinLimits } from '../support/limits.js';

let stack: Stack | undefined;
afterEach(async () => {
  if (stack) {
    // Whatever the fault, nothing is left stuck in any queue.
    const s = stack;
    await waitFor(async () => idle(await readStatus(s.url)), 'every queue to be empty');
  }
  await stack?.close();
  stack = undefined;
});

const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };
const completions = (records: SimRecord[]) => records.filter((r) => r.path.endsWith('completions'));
const byKey = (records: SimRecord[], key: string) => completions(records).filter((r) => r.key === key);

async function burst(s: Stack, n: number, tag: string) {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => chat(s.url, `${tag} ${i}`)));
  results.forEach((r, i) => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(answerOf(r.body)).toBe(`echo: ${tag} ${i}`);
  });
}

describe("OpenRouter's own 429s", () => {
  test('per-minute: the key cools down until X-RateLimit-Reset and its requests move to other keys', async () => {
    // Two of the three keys belong to one OpenRouter account that allows 3 a minute; we were told nothing.
    const [a, b, c] = [fakeKey(), fakeKey(), fakeKey()];
    stack = await startStack({
      keys: [a, b, c],
      env: noLimits,
      simulatorEnv: { SIM_PER_MINUTE: '3', SIM_ACCOUNTS: `${a}=shared,${b}=shared,${c}=own` },
    });
    await burst(stack, 6, 'minute');
    const records = await stack.sim.records();
    expect(completions(records).filter((r) => r.limited).length).toBeGreaterThan(0);
    for (const key of stack.keys) {
      const list = byKey(records, key);
      const firstLimited = list.findIndex((r) => r.limited);
      // After its first 429 a key gets nothing more until its reset (about a minute away).
      if (firstLimited >= 0) expect(list.slice(firstLimited + 1)).toEqual([]);
    }
    // The cooldown holds for the account (GET /key told the gateway which keys share one): every
    // key of an account that got a 429 cools down, the others do not.
    const status = await readStatus(stack.url);
    const limitedAccounts = new Set(completions(records).filter((r) => r.limited).map((r) => r.account));
    const accountOf = { [a]: 'shared', [b]: 'shared', [c]: 'own' };
    const expected = stack.keys.filter((k) => limitedAccounts.has(accountOf[k] ?? '')).map((k) => maskKey(k));
    expect(status.keys.filter((k) => k.state === 'cooling-down').map((k) => k.key).sort()).toEqual(expected.sort());
  });

  test('per-day: the key is exhausted until midnight, its real daily limit learned; when all are, a clean 429', async () => {
    stack = await startStack({ keys: 2, env: { ...noLimits, KEY_REQUESTS_PER_DAY: '200' }, simulatorEnv: { SIM_PER_DAY: '2' } });
    for (let i = 0; i < 4; i++) expect((await chat(stack.url, `day ${i}`)).status).toBe(200);
    const fifth = await chat(stack.url, 'day 4');
    expect(fifth.status).toBe(429);
    expect(fifth.body.error).toMatchObject({ type: 'rate_limit_error', code: 'daily_limit_reached' });
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(0);
    const status = await readStatus(stack.url);
    expect(status.keys.map((k) => k.state)).toEqual(['exhausted', 'exhausted']);
    expect(status.keys.map((k) => k.limits.perDay)).toEqual([2, 2]);
    // Once learned, no key is asked again today.
    const sixth = await chat(stack.url, 'day 5');
    expect(sixth.status).toBe(429);
    expect(completions(await stack.sim.records()).filter((r) => r.limited).length).toBeLessThanOrEqual(2);
  });
});

describe('faults that are not the key’s', () => {
  test("a provider's 429 is retried on another key after a short backoff", async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    const provider = { error: { message: 'Provider returned error', code: 429, metadata: { raw: 'rate-limited upstream', provider_name: 'P' } } };
    await stack.sim.configure({ faults: [{ status: 429, body: provider, times: 1 }] });
    const res = await chat(stack.url, 'provider busy');
    expect(res.status).toBe(200);
    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(2);
    expect(records[0]!.key).not.toBe(records[1]!.key);
    expect((await readStatus(stack.url)).keys.every((k) => k.state === 'active')).toBe(true);
  });

  test.each([
    ['a 502', { status: 502 }],
    ['a 408', { status: 408 }],
    ['a 200 whose body is an error', { status: 200, body: { error: { message: 'upstream broke', code: 502 } } }],
    ['a 200 without choices', { status: 200, body: { id: 'gen-x', choices: [] } }],
  ])('%s is retried and the client gets the answer', async (_name, fault) => {
    stack = await startStack({ keys: 2, env: noLimits });
    await stack.sim.configure({ faults: [{ ...fault, times: 1 }] });
    const res = await chat(stack.url, 'retry me');
    expect(res.status).toBe(200);
    expect(answerOf(res.body)).toBe('echo: retry me');
    expect(completions(await stack.sim.records())).toHaveLength(2);
  });

  test('a fault that persists ends after 3 attempts with the last upstream error', async () => {
    stack = await startStack({ keys: 2, env: noLimits });
    await stack.sim.configure({ faults: [{ status: 503, body: { error: { message: 'No provider available', code: 503 } }, times: 100 }] });
    const res = await chat(stack.url, 'never works');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { message: 'No provider available', code: 503 } });
    expect(completions(await stack.sim.records())).toHaveLength(3);
  });

  test.each([400, 403, 404, 413, 422])("a %i is the client's problem: returned as is, no retry, no key penalised", async (status) => {
    stack = await startStack({ keys: 2, env: noLimits });
    await stack.sim.configure({ faults: [{ status, body: { error: { message: `upstream says ${status}`, code: status } } }] });
    const res = await chat(stack.url, 'bad');
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { message: `upstream says ${status}`, code: status } });
    expect(completions(await stack.sim.records())).toHaveLength(1);
    expect((await readStatus(stack.url)).keys.every((k) => k.state === 'active')).toBe(true);
  });
});

describe('a request waiting behind a cooldown', () => {
  test('moves to a key that can start it sooner instead of waiting the cooldown out', { timeout: 25_000 }, async () => {
    stack = await startStack({ keys: 2, env: { ...noLimits, KEY_MIN_INTERVAL_MS: '1500' } });
    const s = stack;
    const first = await Promise.all([chat(s.url, 'a'), chat(s.url, 'b')]);
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    const third = chat(s.url, 'third');
    const holder = await waitFor(async () => (await readStatus(s.url)).keys.find((k) => k.queue.waiting + k.reserved > 0), 'the third request to be queued');
    // Upstream has just told this key's account to wait a minute (what a per-minute 429 does).
    const names = new RedisKeys(s.prefix);
    const accountBase = (await s.redis.hget(names.accountOfKey(), names.keyBase(holder.id))) ?? names.keyBase(holder.id);
    await s.redis.hset(keyStateOf(accountBase), 'cooldownUntil', Date.now() + 60_000);
    expect(answerOf((await third).body)).toBe('echo: third');
    const record = completions(await s.sim.records()).find((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content === 'third');
    const holderKey = (await readStatus(s.url)).keys.find((k) => k.id === holder.id)!.key;
    expect(record!.key!.endsWith(holderKey.slice(-4))).toBe(false);
  });
});

describe('keys that leave rotation', () => {
  test.each([
    ['invalid (401)', 401, 'invalid'],
    ['out of credits (402)', 402, 'no-credits'],
  ])('a key found %s stops being used and its waiting requests move to the others', async (_name, status, reason) => {
    stack = await startStack({ keys: 2, env: { ...noLimits, KEY_MIN_INTERVAL_MS: '400' } });
    const [bad, good] = stack.keys as [string, string];
    await stack.sim.configure({ faults: [{ key: bad, status, times: 1000 }] });
    await burst(stack, 8, 'rotation');
    const records = await stack.sim.records();
    // The bad key was tried once, never in a loop; everything else went to the good one.
    expect(byKey(records, bad)).toHaveLength(1);
    expect(byKey(records, good)).toHaveLength(8);
    expectWithinLimits(completions(records), { minIntervalMs: 400 }, stack.keys);
    const status2 = await readStatus(stack.url);
    expect(status2.keys.find((k) => k.state === 'disabled')).toMatchObject({ disabledReason: reason });
  });

  test('when the only key is refused, the client gets a clear 503', async () => {
    stack = await startStack({ keys: 1, env: noLimits });
    await stack.sim.configure({ faults: [{ status: 401, times: 10 }] });
    const res = await chat(stack.url, 'nobody home');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'no_usable_key' });
    // Later requests are refused at once, without asking upstream again, with the same 503:
    // not a 429 daily_limit_reached until midnight (issue 12, finding 8).
    const again = await chat(stack.url, 'still nobody');
    expect(again.status).toBe(503);
    expect(again.body.error).toMatchObject({ type: 'service_unavailable', code: 'no_usable_key' });
    expect(String((again.body.error as { message: string }).message)).toContain('OpenRouter refused all 1');
    expect(again.headers.get('retry-after')).toBeNull();
    expect(completions(await stack.sim.records())).toHaveLength(1);
  });

  test('requests queued when every key is refused (401 and 402) all get the 503 no_usable_key', async () => {
    stack = await startStack({ keys: 2, env: { ...noLimits, KEY_MIN_INTERVAL_MS: '300' } });
    const [a, b] = stack.keys as [string, string];
    await stack.sim.configure({ faults: [{ key: a, status: 401, times: 1000 }, { key: b, status: 402, times: 1000 }] });
    const s = stack;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(s.url, `queued ${i}`)));
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'no_usable_key' });
    }
    // Each key was tried once, never in a loop.
    expect(completions(await stack.sim.records())).toHaveLength(2);
  });
});
