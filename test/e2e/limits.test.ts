import { afterEach, describe, expect, test } from 'vitest';
import { answerOf, chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { expectWithinLimits } from '../support/limits.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const completions = <T extends { path: string }>(records: T[]): T[] => records.filter((r) => r.path.endsWith('/chat/completions'));

describe('a burst over several keys', () => {
  test('every request gets its own answer and no key ever breaks its spacing', async () => {
    stack = await startStack({ keys: 4, env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' } });
    const n = 60;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => chat(stack!.url, `burst ${i}`)));

    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(answerOf(r.body)).toBe(`echo: burst ${i}`);
    });
    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(n);
    // Every key took part, each request went upstream exactly once.
    expect(new Set(records.map((r) => r.key)).size).toBe(4);
    const sent = records.map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content).sort();
    expect(sent).toEqual(Array.from({ length: n }, (_, i) => `burst ${i}`).sort());
    expectWithinLimits(records, { minIntervalMs: 100 }, stack.keys);
  });

  test('the sliding minute holds, and a request that could only wait past QUEUE_TIMEOUT_MS is refused at once', async () => {
    stack = await startStack({
      keys: 3,
      env: { KEY_MIN_INTERVAL_MS: '20', KEY_REQUESTS_PER_MINUTE: '4', KEY_REQUESTS_PER_DAY: '0', QUEUE_TIMEOUT_MS: '5000' },
    });
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(stack!.url, `minute ${i}`)));
    expect(first.map((r) => r.status)).toEqual(Array(12).fill(200));

    const refused = await chat(stack.url, 'one too many');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    expect((refused.body.error as { message: string }).message).toMatch(/QUEUE_TIMEOUT_MS/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);

    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(12);
    expectWithinLimits(records, { minIntervalMs: 20, perMinute: 4 }, stack.keys);
  });

  test('slow answers do not cap throughput: a key starts its next request while the previous one is still running', async () => {
    stack = await startStack({
      keys: 1,
      env: { KEY_MIN_INTERVAL_MS: '100', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' },
      simulatorEnv: { SIM_LATENCY_MS: '1500' },
    });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(stack!.url, `slow ${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const arrivals = completions(await stack.sim.records())
      .map((r) => r.hrMs)
      .sort((a, b) => a - b);
    // Serialised behind 1.5 s answers, six starts would span at least 7.5 s.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeLessThan(1500);
    expectWithinLimits(completions(await stack.sim.records()), { minIntervalMs: 100 }, stack.keys);
  });
});

describe('the daily cap', () => {
  test('refuses cleanly with Retry-After until 00:00 UTC once every key has used its day', async () => {
    stack = await startStack({ keys: 2, env: { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '3' } });
    const ok = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(stack!.url, `day ${i}`)));
    expect(ok.map((r) => r.status)).toEqual(Array(6).fill(200));

    const refused = await chat(stack.url, 'tomorrow please');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'daily_limit_reached', param: null });
    expect((refused.body.error as { message: string }).message).toMatch(/00:00 UTC/);
    const now = Date.now();
    const toMidnight = Math.ceil((Math.floor(now / 86_400_000) + 1) * 86_400_000 - now) / 1000;
    expect(Math.abs(Number(refused.headers.get('retry-after')) - toMidnight)).toBeLessThan(5);

    const records = completions(await stack.sim.records());
    expect(records).toHaveLength(6);
    expectWithinLimits(records, { perDay: 3 }, stack.keys);
  });
});
