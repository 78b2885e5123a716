import { afterEach, expect, test } from 'vitest';
import { UpstreamErrorWindow } from '../src/metrics/upstream-error-window.js';
import { redisFixture } from './redis-fixture.js';

const fixtures: ReturnType<typeof redisFixture>[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.cleanup()));
});

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 12, 0, 30);

test('counts failed attempts of the last 60 minutes by outcome, and forgets older ones', async () => {
  const f = redisFixture();
  fixtures.push(f);
  const window = new UpstreamErrorWindow(f.redis, f.keys);
  await window.record('rate-limited', T0 - 61 * MINUTE);
  await window.record('network-error', T0 - 59 * MINUTE);
  await window.record('upstream-5xx', T0 - 5 * MINUTE);
  await window.record('upstream-5xx', T0);
  expect(await window.read(T0)).toEqual({ total: 3, byOutcome: { 'network-error': 1, 'upstream-5xx': 2 } });
  // Later, only what happened in the hour before is left.
  expect(await window.read(T0 + 50 * MINUTE)).toEqual({ total: 2, byOutcome: { 'upstream-5xx': 2 } });
  expect(await window.read(T0 + 2 * 60 * MINUTE)).toEqual({ total: 0, byOutcome: {} });
});

test('each minute expires by itself a little after the window', async () => {
  const f = redisFixture();
  fixtures.push(f);
  await new UpstreamErrorWindow(f.redis, f.keys).record('timeout', T0);
  const ttl = await f.redis.ttl(f.keys.upstreamErrors(Math.floor(T0 / MINUTE)));
  expect(ttl).toBeGreaterThan(60 * 60);
  expect(ttl).toBeLessThanOrEqual(65 * 60);
});
