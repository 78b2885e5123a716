import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { chat, get, KEY_A, KEY_B, KEY_C, post } from './helpers.js';

let sim: Simulator | undefined;

async function start(opts: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  sim = await startSimulator(opts);
  return sim;
}
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const send = (s: Simulator, key: string, text = 'q'): ReturnType<typeof post> =>
  post(s.url, '/chat/completions', chat(text), { key });

describe('per-minute limit', () => {
  it('answers OpenRouter 429s with X-RateLimit headers once an account is full', async () => {
    const s = await start({ perMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await send(s, KEY_A)).status).toBe(200);
    const limited = await send(s, KEY_A);
    expect(limited.status).toBe(429);

    const firstArrival = s.records()[0]?.hrMs as number;
    const reset = String(Math.ceil(firstArrival + 60_000));
    const headers = { 'X-RateLimit-Limit': '3', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset };
    expect(limited.json).toEqual({
      error: {
        message: 'Rate limit exceeded: free-models-per-min. ',
        code: 429,
        metadata: { headers, provider_name: null },
      },
      user_id: expect.stringMatching(/^user_/) as string,
    });
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(reset);

    // Other keys are separate accounts by default; /models and /key never count.
    expect((await send(s, KEY_B)).status).toBe(200);
    expect((await get(s.url, '/key', KEY_A)).status).toBe(200);

    const recs = s.records();
    expect(recs.map((r) => r.limited)).toEqual([false, false, false, true, false, false]);
    expect(recs[3]?.status).toBe(429);
  });

  it('does not charge rejected requests against the quota', async () => {
    const s = await start({ perMinute: 2 });
    await send(s, KEY_A);
    await send(s, KEY_A);
    const a = await send(s, KEY_A);
    const b = await send(s, KEY_A);
    expect([a.status, b.status]).toEqual([429, 429]);
    expect(a.headers.get('x-ratelimit-reset')).toBe(b.headers.get('x-ratelimit-reset'));
  });

  it('counts per account when keys share one', async () => {
    const s = await start({ perMinute: 2, accounts: { [KEY_A]: 'acct', [KEY_B]: 'acct' } });
    expect((await send(s, KEY_A)).status).toBe(200);
    expect((await send(s, KEY_B)).status).toBe(200);
    expect((await send(s, KEY_A)).status).toBe(429);
    expect((await send(s, KEY_B)).status).toBe(429);
    expect((await send(s, KEY_C)).status).toBe(200);
  });

  it('can be switched on and off at run time', async () => {
    const s = await start({});
    for (let i = 0; i < 5; i++) expect((await send(s, KEY_A)).status).toBe(200);
    s.configure({ perMinute: 5 });
    expect((await send(s, KEY_A)).status).toBe(429);
    s.configure({ perMinute: null });
    expect((await send(s, KEY_A)).status).toBe(200);
    s.reset();
    s.configure({ perMinute: 1 });
    expect((await send(s, KEY_A)).status).toBe(200);
    expect(s.records()).toHaveLength(1);
  });
});

describe('per-day limit', () => {
  it('answers the free-models-per-day 429 with the next UTC midnight as reset', async () => {
    const s = await start({ perDay: 2, perMinute: 100 });
    expect((await send(s, KEY_A)).status).toBe(200);
    expect((await send(s, KEY_A)).status).toBe(200);
    const limited = await send(s, KEY_A);
    expect(limited.status).toBe(429);

    const arrived = s.records()[2]?.receivedAtMs as number;
    const midnight = String((Math.floor(arrived / 86_400_000) + 1) * 86_400_000);
    const headers = { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': midnight };
    expect(limited.json).toEqual({
      error: {
        message: 'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
        code: 429,
        metadata: { headers, provider_name: null },
      },
      user_id: expect.stringMatching(/^user_/) as string,
    });
    expect(limited.headers.get('x-ratelimit-reset')).toBe(midnight);
    expect(new Date(Number(midnight)).toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect((await send(s, KEY_B)).status).toBe(200);
  });
});
