import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { ConfigError } from '../src/errors/config-error.js';
import { useTestClock } from '../src/limits/lua-script.js';
import { readKeyLimitStatus } from '../src/status/key-status.js';
import { redisFixture } from './redis-fixture.js';

const KEYS = 'sk-or-v1-aa11111111111111111111111111117f3c';
const LIMITS = { minIntervalMs: 0, perMinute: 0, perDay: 0 };
const HOUR = 3_600_000;

describe('the test clock cannot be switched on by accident', () => {
  test.each(['production', 'development', ''])('TEST_HOOKS is refused with NODE_ENV=%j', (nodeEnv) => {
    const parse = () => parseConfig({ OPENROUTER_API_KEYS: KEYS, TEST_HOOKS: 'true', NODE_ENV: nodeEnv });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow('Invalid configuration: TEST_HOOKS is for the test suite only: it needs NODE_ENV=test');
  });

  test('TEST_HOOKS is refused without NODE_ENV, and off by default', () => {
    expect(() => parseConfig({ OPENROUTER_API_KEYS: KEYS, TEST_HOOKS: 'true' })).toThrow(/TEST_HOOKS/);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, NODE_ENV: 'test' }).testHooks).toBe(false);
    expect(parseConfig({ OPENROUTER_API_KEYS: KEYS, NODE_ENV: 'test', TEST_HOOKS: 'true' }).testHooks).toBe(true);
  });
});

describe('the scripts clock', () => {
  const fx = redisFixture();
  afterEach(() => fx.cleanup());

  test('reads Redis TIME whatever the offset key holds, unless the client was put on the test clock', async () => {
    const base = fx.keys.keyBase('clock');
    await fx.redis.set(fx.keys.testClockOffset(), String(5 * HOUR));
    const [seconds] = await fx.redis.time();
    const production = await readKeyLimitStatus(fx.redis, { id: 'clock', base }, LIMITS, fx.keys.accountOfKey());
    // resetsAt is the next midnight after the script's "now".
    const realMidnight = (Math.floor((Number(seconds) * 1000) / 86_400_000) + 1) * 86_400_000;
    expect(Date.parse(production.resetsAt)).toBe(realMidnight);

    const onClock = new Redis(fx.url, { maxRetriesPerRequest: null });
    try {
      useTestClock(onClock, fx.keys.testClockOffset());
      await fx.redis.set(fx.keys.testClockOffset(), String(-Number(seconds) * 1000 + 86_400_000 * 10 + 1_000));
      const shifted = await readKeyLimitStatus(onClock, { id: 'clock', base }, LIMITS, fx.keys.accountOfKey());
      // Now ≈ 1 s into day 10 of 1970 on the test clock.
      expect(shifted.resetsAt).toBe('1970-01-12T00:00:00.000Z');
    } finally {
      onClock.disconnect();
    }
  });
});
