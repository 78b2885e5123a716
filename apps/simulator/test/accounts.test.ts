import { afterEach, describe, expect, it } from 'vitest';
import { connectSimulator, findViolations, startSimulator, type Simulator } from '../src/index.js';
import { chat, get, KEY_A, KEY_B, KEY_C, post } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const send = (s: Simulator, key: string, model = 'meta-llama/llama-4-maverick:free'): ReturnType<typeof post> =>
  post(s.url, '/chat/completions', chat('q', { model }), { key });

interface KeyData {
  creator_user_id: string;
  free_model_daily_requests?: { used: number; limit: number; remaining: number };
  limit_remaining: number | null;
}
const keyData = async (s: Simulator, key: string): Promise<KeyData> => ((await get(s.url, '/key', key)).json as { data: KeyData }).data;

describe('accounts', () => {
  it('GET /key names the account and reports its free-model requests today', async () => {
    sim = await startSimulator({ perDay: 50, accounts: { [KEY_A]: 'acct', [KEY_B]: 'acct' } });
    await send(sim, KEY_A);
    await send(sim, KEY_B);
    await send(sim, KEY_C);
    const [a, b, c] = [await keyData(sim, KEY_A), await keyData(sim, KEY_B), await keyData(sim, KEY_C)];
    expect(a.creator_user_id).toBe('user_acct');
    expect(b.creator_user_id).toBe('user_acct');
    expect(a.free_model_daily_requests).toEqual({ used: 2, limit: 50, remaining: 48 });
    // A key of its own account gets an id that does not reveal the key.
    expect(c.creator_user_id).toMatch(/^user_[0-9a-f]{24}$/);
    expect(c.creator_user_id).not.toContain(KEY_C.slice(9));
    expect(c.free_model_daily_requests).toEqual({ used: 1, limit: 50, remaining: 49 });
  });

  it('leaves the daily figure out when no daily limit is simulated, and can fail /key on purpose', async () => {
    sim = await startSimulator({ keyInfoDown: [KEY_B] });
    expect((await keyData(sim, KEY_A)).free_model_daily_requests).toBeUndefined();
    expect((await get(sim.url, '/key', KEY_B)).status).toBe(500);
    expect((await send(sim, KEY_B)).status).toBe(200);
  });

  it('counts only :free models; paid models pass a full account', async () => {
    sim = await startSimulator({ perMinute: 1, perDay: 1 });
    expect((await send(sim, KEY_A)).status).toBe(200);
    expect((await send(sim, KEY_A)).status).toBe(429);
    expect((await send(sim, KEY_A, 'openai/gpt-4o')).status).toBe(200);
    expect((await keyData(sim, KEY_A)).free_model_daily_requests?.used).toBe(1);
    const recs = sim.records().filter((r) => r.path.endsWith('/completions'));
    expect(recs.map((r) => [r.free, r.limited, r.limitKind])).toEqual([
      [true, false, null],
      [true, true, 'day'],
      [false, false, null],
    ]);
  });

  it('POST /__sim/spend marks part of the day spent elsewhere', async () => {
    sim = await startSimulator({ perDay: 10, accounts: { [KEY_A]: 'acct' } });
    const control = connectSimulator(sim.url);
    await control.spend('acct', 9);
    expect((await keyData(sim, KEY_A)).free_model_daily_requests).toEqual({ used: 9, limit: 10, remaining: 1 });
    expect((await send(sim, KEY_A)).status).toBe(200);
    const limited = await send(sim, KEY_A);
    expect(limited.status).toBe(429);
    expect(sim.records().filter((r) => r.path.endsWith('/completions'))).toHaveLength(2);
    const bad = await fetch(new URL('/__sim/spend', sim.url), { method: 'POST', body: '{"account":"acct","requests":-1}' });
    expect(bad.status).toBe(400);
  });

  it('findViolations checks minute and day per account when asked', async () => {
    sim = await startSimulator({ accounts: { [KEY_A]: 'acct', [KEY_B]: 'acct' } });
    await send(sim, KEY_A);
    await send(sim, KEY_B);
    await send(sim, KEY_C, 'openai/gpt-4o');
    await send(sim, KEY_C, 'openai/gpt-4o');
    const records = sim.records();
    expect(findViolations(records, { perMinute: 1 })).toEqual([]);
    const perAccount = findViolations(records, { perMinute: 1, minIntervalMs: 10_000 }, { limitsPer: 'account' });
    // The paid requests of KEY_C count toward nothing, spacing included.
    expect(perAccount.map((v) => [v.kind, v.key])).toEqual([['minute', 'account acct']]);
    expect(findViolations(records, { minIntervalMs: 10_000 }, { spacingPer: 'account' }).map((v) => v.kind)).toEqual(['spacing']);
  });
});
