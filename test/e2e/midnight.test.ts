import { afterEach, expect, test } from 'vitest';
import { RedisKeys, upstreamKeyId } from '@ork/shared';
import type { SimRecord } from '@ork/simulator';
import { answerOf, chat, waitFor, type ChatResult } from '../support/client.js';
import { expectWithinLimits } from '../support/limits.js';
import { readStatus } from '../support/status.js';
import { startStack, type Stack } from '../support/stack.js';
import { dayNumber } from '../support/test-clock.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const PER_DAY = 3;
const completions = (records: SimRecord[]): SimRecord[] => records.filter((r) => r.path.endsWith('/chat/completions'));
const contentOf = (r: SimRecord): string => (r.body as { messages: { content: string }[] }).messages[0]!.content;

function expectServed(results: ChatResult[], contents: string[]): void {
  results.forEach((r, i) => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(answerOf(r.body)).toBe(`echo: ${contents[i]}`);
  });
}

function expectRefusedForTheDay(r: ChatResult): number {
  expect(r.status, JSON.stringify(r.body)).toBe(429);
  expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code: 'daily_limit_reached' });
  return Number(r.headers.get('retry-after'));
}

test('a burst across 00:00 UTC: the day resets exactly once, nothing is lost or counted twice, a request refused before midnight is served after it', async () => {
  stack = await startStack({
    keys: 2,
    env: { KEY_MIN_INTERVAL_MS: '50', KEY_REQUESTS_PER_MINUTE: '20', KEY_REQUESTS_PER_DAY: String(PER_DAY) },
    // The fake counts the day on the same clock and would answer 429 to a fourth request.
    simulatorEnv: { SIM_PER_DAY: String(PER_DAY) },
  });
  const s = stack;
  // Far enough from midnight that every start of the first burst is outside the last second of
  // the day (which acquire.lua counts in both days).
  const midnight = await s.clock.setBeforeMidnight(4_000);
  const today = dayNumber(midnight - 1);

  const before = Array.from({ length: 8 }, (_, i) => `before ${i}`);
  const first = await Promise.all(before.map((c) => chat(s.url, c)));
  expect(s.clock.now()).toBeLessThan(midnight - 1_000);
  const served = first.filter((r) => r.status === 200);
  const refused = before.filter((_, i) => first[i]!.status !== 200);
  expect(served).toHaveLength(2 * PER_DAY);
  for (const r of first.filter((x) => x.status !== 200)) {
    // Retry-After counts to midnight on the shared clock: about 4 s, not the hours of real time.
    const retryAfter = expectRefusedForTheDay(r);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
  }
  expectServed(
    first.filter((r) => r.status === 200),
    before.filter((_, i) => first[i]!.status === 200),
  );

  // Not before midnight: asking again at once is refused again.
  expectRefusedForTheDay(await chat(s.url, refused[0]!));

  // The client honours Retry-After: once the shared clock has passed 00:00 UTC, ask again.
  await waitFor(() => s.clock.now() >= midnight + 50, 'the test clock to pass midnight', 10_000);
  const retried = await Promise.all(refused.map((c) => chat(s.url, c)));
  expectServed(retried, refused);

  // The new day holds PER_DAY per key, and resets no second time.
  const after = Array.from({ length: 4 }, (_, i) => `after ${i}`);
  const second = await Promise.all(after.map((c) => chat(s.url, c)));
  expect(second.filter((r) => r.status === 200)).toHaveLength(2 * PER_DAY - refused.length);
  for (const r of second.filter((x) => x.status !== 200)) {
    expect(expectRefusedForTheDay(r)).toBeGreaterThan(86_400 - 120);
  }

  // Upstream saw each served request exactly once, and nothing that was refused.
  const records = completions(await s.sim.records());
  const servedContents = [
    ...before.filter((_, i) => first[i]!.status === 200),
    ...refused,
    ...after.filter((_, i) => second[i]!.status === 200),
  ];
  expect(records.map(contentOf).sort()).toEqual(servedContents.sort());
  expect(records.filter((r) => r.limited)).toEqual([]);
  expectWithinLimits(records, { minIntervalMs: 50, perDay: PER_DAY }, s.keys);

  // Per key: PER_DAY on each side of midnight, at the fake (departure and arrival) and in Redis.
  const redisKeys = new RedisKeys(s.prefix);
  for (const key of s.keys) {
    const mine = records.filter((r) => r.key === key);
    expect(mine.filter((r) => dayNumber(r.departedAtMs!) === today)).toHaveLength(PER_DAY);
    expect(mine.filter((r) => dayNumber(r.departedAtMs!) === today + 1)).toHaveLength(PER_DAY);
    expect(mine.filter((r) => dayNumber(r.receivedAtMs) === today + 1)).toHaveLength(PER_DAY);
    const id = upstreamKeyId(key);
    expect(await s.redis.hget(redisKeys.keyDay(id, today), 'started')).toBe(String(PER_DAY));
    expect(await s.redis.hget(redisKeys.keyDay(id, today + 1), 'started')).toBe(String(PER_DAY));
  }
  // /api/status reads the same clock: today is the new day, and it is full.
  const status = await readStatus(s.url);
  expect(status.keys.map((k) => [k.today.started, k.state])).toEqual([
    [PER_DAY, 'exhausted'],
    [PER_DAY, 'exhausted'],
  ]);
});
