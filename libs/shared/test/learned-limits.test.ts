import { describe, expect, test } from 'vitest';
import { MAX_COOLDOWN_MS, cooldownUntil, exhaustedUntil, learnDayLimit, nextUtcReset } from '../src/limits/learned-limits.js';

const NOW = Date.UTC(2026, 11, 1, 22, 0, 0);
const MIDNIGHT = Date.UTC(2026, 11, 2);

describe('learnDayLimit: a positive integer below the configured limit, until the next UTC reset', () => {
  test.each<[unknown, number, number | undefined]>([
    ['50', 200, 50],
    [50, 200, 50],
    ['50', 0, 50],
    ['200', 200, undefined],
    ['500', 200, undefined],
    ['', 200, undefined],
    [' ', 200, undefined],
    ['0', 200, undefined],
    ['0', 0, undefined],
    ['-1', 200, undefined],
    ['1.5', 200, undefined],
    ['1e400', 0, undefined],
    [null, 200, undefined],
    [undefined, 200, undefined],
    [{}, 200, undefined],
  ])('%j with KEY_REQUESTS_PER_DAY=%i → %j', (header, configured, expected) => {
    const learned = learnDayLimit(header, configured, NOW);
    expect(learned?.limit).toBe(expected);
    if (learned) expect(learned.untilMs).toBe(MIDNIGHT);
  });
});

describe('resets', () => {
  test('the next UTC reset', () => {
    expect(nextUtcReset(NOW)).toBe(MIDNIGHT);
    expect(nextUtcReset(MIDNIGHT)).toBe(MIDNIGHT + 86_400_000);
  });
  test('a cooldown lasts until the reset, at most MAX_COOLDOWN_MS, a minute when the reset is unusable', () => {
    expect(cooldownUntil(String(NOW + 30_000), NOW)).toBe(NOW + 30_000);
    expect(cooldownUntil(String(NOW + 10 * 365 * 86_400_000), NOW)).toBe(NOW + MAX_COOLDOWN_MS);
    expect(cooldownUntil('', NOW)).toBe(NOW + 60_000);
    expect(cooldownUntil(String(NOW - 1), NOW)).toBe(NOW + 60_000);
  });
  test('exhaustion lasts until the reset, at the latest the next UTC reset', () => {
    expect(exhaustedUntil(String(NOW + 60_000), NOW)).toBe(NOW + 60_000);
    expect(exhaustedUntil(String(NOW + 10 * 365 * 86_400_000), NOW)).toBe(MIDNIGHT);
    expect(exhaustedUntil('garbage', NOW)).toBe(MIDNIGHT);
  });
});
