import { afterEach, describe, expect, test } from 'vitest';
import type { SimRecord } from '@ork/simulator';
import { answerOf, chat, waitFor } from '../support/client.js';
import { fakeKey, startStack, type Stack } from '../support/stack.js';
import { expectWithinLimits } from '../support/limits.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

interface AccountBody {
  id: string;
  known: boolean;
  source: string;
  keys: string[];
  today: { used: number; limit: number | null; remaining: number | null; upstreamUsed: number | null; upstreamLimit: number | null; limitSource: string };
  minute: { used: number; limit: number | null };
  nextFreeAt: number | null;
}
interface AccountStatusBody {
  accounts: AccountBody[];
  keys: { id: string; accountId: string }[];
  pool: { accounts: number; unknownAccounts: number };
}

const status = async (url: string): Promise<AccountStatusBody> => (await (await fetch(`${url}/api/status`)).json()) as AccountStatusBody;
const completions = (records: SimRecord[]): SimRecord[] => records.filter((r) => r.path.endsWith('/completions'));
/** SIM_ACCOUNTS for the fake: key i belongs to accounts[i]. */
const simAccounts = (keys: string[], accounts: string[]): string => keys.map((k, i) => `${k}=${accounts[i]}`).join(',');

describe('limits per account', () => {
  test("keys of two accounts under a burst: each account's minute binds and slides, 0 upstream 429s, makespan at the accounts' capacity", async () => {
    const keys = Array.from({ length: 4 }, fakeKey);
    stack = await startStack({
      keys,
      env: { KEY_MIN_INTERVAL_MS: '50', KEY_REQUESTS_PER_MINUTE: '3', KEY_REQUESTS_PER_DAY: '0', QUEUE_TIMEOUT_MS: '120000' },
      simulatorEnv: { SIM_ACCOUNTS: simAccounts(keys, ['acct-a', 'acct-a', 'acct-b', 'acct-b']), SIM_PER_MINUTE: '3' },
    });
    // 9 requests, 2 accounts of 3 a minute: 6 at once, the other 3 once their account's minute slides.
    const n = 9;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => chat(stack!.url, `minute ${i}`)));
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(answerOf(r.body)).toBe(`echo: minute ${i}`);
    });

    const records = completions(await stack.sim.records());
    expect(records.filter((r) => r.limited)).toEqual([]);
    expect(records).toHaveLength(n);
    expectWithinLimits(records, { perMinute: 3, minIntervalMs: 50 }, stack.keys, { limitsPer: 'account' });
    const arrivals = records.map((r) => r.hrMs).sort((a, b) => a - b);
    // The minute is seen to slide: 6 went in the first seconds, the rest a minute later.
    const early = arrivals.filter((t) => t - arrivals[0]! < 10_000);
    expect(early).toHaveLength(6);
    // The least a perfect scheduler needs is one window (60 s); we keep 61 s, plus scheduling.
    const span = arrivals.at(-1)! - arrivals[0]!;
    expect(span).toBeGreaterThanOrEqual(60_000);
    expect(span).toBeLessThan(60_000 * 1.05);
    expect(new Set(records.map((r) => r.account))).toEqual(new Set(['acct-a', 'acct-b']));
  }, 120_000);

  test('an account with its day spent elsewhere gets nothing: 0 per-day 429s, every request answered by the other account', async () => {
    const [a, b] = [fakeKey(), fakeKey()];
    stack = await startStack({
      keys: [a, b],
      // KEY_REQUESTS_PER_DAY not set: the ceiling comes from upstream's GET /key.
      env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', ACCOUNT_REFRESH_MS: '300' },
      simulatorEnv: { SIM_ACCOUNTS: simAccounts([a, b], ['acct-a', 'acct-b']), SIM_PER_DAY: '10' },
    });
    await stack.sim.spend('acct-a', 10);
    const spent = await waitFor(
      async () => (await status(stack!.url)).accounts.find((x) => x.id === 'user_acct-a' && x.today.upstreamUsed === 10),
      "account a's use from GET /key",
    );
    expect(spent.today).toMatchObject({ used: 10, limit: 10, remaining: 0, upstreamLimit: 10, limitSource: 'upstream' });

    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(stack!.url, `day ${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const records = completions(await stack.sim.records());
    expect(records.filter((r) => r.limitKind === 'day')).toEqual([]);
    expect(records.map((r) => r.account)).toEqual(Array(8).fill('acct-b'));

    // Account b has 2 left today: 2 more go, the third is refused at once by the gateway.
    const more = await Promise.all(Array.from({ length: 3 }, (_, i) => chat(stack!.url, `more ${i}`)));
    expect(more.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    expect(more.find((r) => r.status === 429)?.body.error).toMatchObject({ code: 'daily_limit_reached' });
    expect(completions(await stack.sim.records()).filter((r) => r.limited)).toEqual([]);
  }, 60_000);

  test('a key whose GET /key fails counts alone, and joins its account once GET /key answers', async () => {
    const [a, b] = [fakeKey(), fakeKey()];
    stack = await startStack({
      keys: [a, b],
      env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '2', KEY_REQUESTS_PER_DAY: '0', QUEUE_TIMEOUT_MS: '5000', ACCOUNT_REFRESH_MS: '300' },
      simulatorEnv: { SIM_ACCOUNTS: simAccounts([a, b], ['shared', 'shared']), SIM_PER_MINUTE: '2', SIM_KEY_INFO_DOWN: b },
    });
    const alone = await status(stack.url);
    expect(alone.pool).toMatchObject({ accounts: 2, unknownAccounts: 1 });
    const bId = alone.keys[1]!.id;
    expect(alone.accounts.find((x) => x.keys.includes(bId))).toMatchObject({ id: bId, known: false, source: 'key', keys: [bId] });
    expect(alone.accounts.find((x) => !x.keys.includes(bId))).toMatchObject({ id: 'user_shared', known: true, source: 'upstream' });

    await stack.sim.configure({ keyInfoDown: null });
    const joined = await waitFor(async () => {
      const s = await status(stack!.url);
      return s.accounts.length === 1 ? s : undefined;
    }, 'the key to join its account');
    expect(joined.accounts[0]).toMatchObject({ id: 'user_shared', known: true, keys: [alone.keys[0]!.id, bId], minute: { used: 0, limit: 2 } });
    expect(joined.keys.map((k) => k.accountId)).toEqual(['user_shared', 'user_shared']);

    // Now both keys share 2 a minute: 2 go, 2 are refused at once (a wait beyond QUEUE_TIMEOUT_MS), no upstream 429.
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => chat(stack!.url, `joined ${i}`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429, 429]);
    expect(results.filter((r) => r.status === 429).map((r) => (r.body.error as { code: string }).code)).toEqual(['queue_full', 'queue_full']);
    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(2);
    expect(records.filter((r) => r.limited)).toEqual([]);
  }, 60_000);

  test("paid-model requests pass while the account's free quota is spent", async () => {
    stack = await startStack({
      keys: 1,
      env: { KEY_MIN_INTERVAL_MS: '200', KEY_REQUESTS_PER_MINUTE: '2', KEY_REQUESTS_PER_DAY: '2' },
      simulatorEnv: { SIM_PER_DAY: '2', SIM_PER_MINUTE: '2' },
    });
    const free = await Promise.all([chat(stack.url, 'free 1'), chat(stack.url, 'free 2')]);
    expect(free.map((r) => r.status)).toEqual([200, 200]);
    const refused = await chat(stack.url, 'free 3');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'daily_limit_reached' });

    const paid = await Promise.all(Array.from({ length: 4 }, (_, i) => chat(stack!.url, `paid ${i}`, { model: 'openai/gpt-4o' })));
    paid.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(answerOf(r.body)).toBe(`echo: paid ${i}`);
    });
    const records = completions(await stack.sim.records());
    expect(records.filter((r) => r.limited)).toEqual([]);
    const paidArrivals = records.filter((r) => !r.free).map((r) => r.hrMs);
    expect(paidArrivals).toHaveLength(4);
    // Not spaced by KEY_MIN_INTERVAL_MS: all four within less than one interval.
    expect(Math.max(...paidArrivals) - Math.min(...paidArrivals)).toBeLessThan(200);
    const s = await status(stack.url);
    expect(s.accounts[0]?.today).toMatchObject({ used: 2, limit: 2, remaining: 0 });
  }, 60_000);
});

test('paid-model requests never wait behind free-model requests waiting for their slot', async () => {
  stack = await startStack({
    keys: 1,
    env: { KEY_MIN_INTERVAL_MS: '200', KEY_REQUESTS_PER_MINUTE: '2', KEY_REQUESTS_PER_DAY: '0', QUEUE_TIMEOUT_MS: '120000' },
    simulatorEnv: { SIM_PER_MINUTE: '2' },
  });
  const s = stack;
  expect((await Promise.all([chat(s.url, 'free 1'), chat(s.url, 'free 2')])).map((r) => r.status)).toEqual([200, 200]);
  // The account's minute is full: this one waits about a minute in the key's queue.
  const gone = new AbortController();
  const waiting = chat(s.url, 'free 3', { signal: gone.signal }).catch(() => undefined);
  await waitFor(async () => {
    const status = (await (await fetch(`${s.url}/api/status`)).json()) as { keys: { reserved: number }[] };
    return status.keys[0]!.reserved === 1;
  }, 'the third free request to wait');

  const paid = await Promise.all(Array.from({ length: 4 }, (_, i) => chat(s.url, `paid ${i}`, { model: 'openai/gpt-4o' })));
  expect(paid.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  const records = completions(await s.sim.records());
  expect(records.filter((r) => !r.free)).toHaveLength(4);
  // The free request is still waiting for its slot: it has not reached upstream.
  expect(records.filter((r) => r.free)).toHaveLength(2);
  expect(records.filter((r) => r.limited)).toEqual([]);
  gone.abort();
  await waiting;
}, 60_000);

describe('accounts across processes', () => {
  test('two API and two worker processes hold the account, not the key, to its minute', async () => {
    const keys = Array.from({ length: 4 }, fakeKey);
    stack = await startStack({
      keys,
      apiProcesses: 2,
      workerProcesses: 2,
      env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '4', KEY_REQUESTS_PER_DAY: '0', QUEUE_TIMEOUT_MS: '10000' },
      simulatorEnv: { SIM_ACCOUNTS: simAccounts(keys, ['acct-a', 'acct-a', 'acct-b', 'acct-b']), SIM_PER_MINUTE: '4' },
    });
    // Capacity this minute: 2 accounts × 4 (not 4 keys × 4). The rest is refused at once by either API.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(stack!.apiUrls[i % 2]!, `multi ${i}`)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(8);
    expect(results.filter((r) => r.status === 429).every((r) => (r.body.error as { code: string }).code === 'queue_full')).toBe(true);
    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(8);
    expect(records.filter((r) => r.limited)).toEqual([]);
    expectWithinLimits(records, { perMinute: 4, minIntervalMs: 100 }, stack.keys, { limitsPer: 'account' });
    const s = await status(stack.apiUrls[1]!);
    expect(s.accounts.map((x) => [x.id, x.keys.length, x.minute.used])).toEqual([
      ['user_acct-a', 2, 4],
      ['user_acct-b', 2, 4],
    ]);
    expect(stack.logs()).toContain("these 2 keys share one account's 4/min");
  }, 60_000);
});
