import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SimRecord } from '@ork/simulator';
import { answerOf, chat } from '../support/client.js';
import { expectWithinLimits } from '../support/limits.js';
import { readStatus } from '../support/status.js';
import { startStack, type Stack } from '../support/stack.js';
import { workersThatRan } from '../support/workers-that-ran.js';

// No spacing: with it the queue is held back between starts, so acquire.lua's minute check would
// rarely be the one refusing; without it every worker fetches the burst's jobs at once.
const LIMITS = { minIntervalMs: 0, perMinute: 3, perDay: 5 };
const MINUTE_MS = 60_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    apiProcesses: 2,
    workerProcesses: 2,
    env: {
      KEY_MIN_INTERVAL_MS: String(LIMITS.minIntervalMs),
      KEY_REQUESTS_PER_MINUTE: String(LIMITS.perMinute),
      KEY_REQUESTS_PER_DAY: String(LIMITS.perDay),
      // Long enough to wait for the minute to slide.
      QUEUE_TIMEOUT_MS: '90000',
      // Finished jobs are kept so the test can see which worker process ran each.
      JOB_RETENTION_SECONDS: '3600',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const contentOf = (r: SimRecord): string => (r.body as { messages: { content: string }[] }).messages[0]!.content;

test(
  'two API and two worker processes: a burst crosses the minute, waits for it to slide (not a moment before) and stops at the daily cap',
  { timeout: 150_000 },
  async () => {
    const n = 12;
    const contents = Array.from({ length: n }, (_, i) => `bind ${i}`);
    const results = await Promise.all(contents.map((c, i) => chat(stack.apiUrls[i % 2]!, c)));

    // 2 keys x 5 a day: ten served, the other two refused at once until 00:00 UTC.
    const served = contents.filter((_, i) => results[i]!.status === 200);
    expect(served).toHaveLength(2 * LIMITS.perDay);
    results.forEach((r, i) => {
      if (r.status === 200) expect(answerOf(r.body)).toBe(`echo: ${contents[i]}`);
      else {
        expect(r.status, JSON.stringify(r.body)).toBe(429);
        expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code: 'daily_limit_reached' });
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    });

    const records = (await stack.sim.records()).filter((r) => r.path.endsWith('/chat/completions'));
    expect(records.map(contentOf).sort()).toEqual([...served].sort());
    expect(records.filter((r) => r.limited)).toEqual([]);
    expectWithinLimits(records, LIMITS, stack.keys);

    for (const key of stack.keys) {
      const departures = records
        .filter((r) => r.key === key)
        .map((r) => r.departedAtMs!)
        .sort((a, b) => a - b);
      expect(departures).toHaveLength(LIMITS.perDay);
      // The fourth start on a key waited for the first to leave the sliding minute, and went then.
      const [first, , third, fourth] = departures as [number, number, number, number];
      expect(fourth - first).toBeGreaterThanOrEqual(MINUTE_MS);
      expect(fourth - third).toBeGreaterThan(MINUTE_MS / 2);
    }
    const status = await readStatus(stack.url);
    expect(status.keys.map((k) => [k.today.started, k.state])).toEqual([
      [LIMITS.perDay, 'exhausted'],
      [LIMITS.perDay, 'exhausted'],
    ]);

    // Both worker processes did part of the work.
    expect((await workersThatRan(stack)).size).toBe(2);
    expect(stack.logs()).not.toContain('"level":50');
  },
);
