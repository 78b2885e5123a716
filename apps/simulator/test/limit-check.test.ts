import { describe, expect, it } from 'vitest';
import { findViolations, maskKey, spacingStats, type CheckedRecord } from '../src/index.js';
import { KEY_A, KEY_B, KEY_C } from './helpers.js';

const DAY0 = Date.UTC(2025, 0, 10, 23, 58, 0);
const CHAT = '/api/v1/chat/completions';

function rec(key: string | null, hrMs: number, path = CHAT): CheckedRecord {
  return { key, path, hrMs: DAY0 + hrMs, receivedAtMs: Math.floor(DAY0 + hrMs) };
}

/** `n` arrivals of `key` every `gap` ms starting at `from`. */
function series(key: string, n: number, gap: number, from = 0): CheckedRecord[] {
  return Array.from({ length: n }, (_, i) => rec(key, from + i * gap));
}

const LIMITS = { minIntervalMs: 3000, perMinute: 20, perDay: 50 };

describe('findViolations', () => {
  it('finds nothing in traffic that respects every limit', () => {
    const records = [
      ...series(KEY_A, 20, 3000), // exactly 20 in any 60 s window, gaps exactly 3 s
      ...series(KEY_B, 5, 10_000),
      // Noise that must be ignored: other endpoints and requests without a key.
      rec(KEY_A, 1, '/api/v1/models'),
      rec(KEY_A, 2, '/api/v1/key'),
      rec(null, 3),
    ];
    expect(findViolations(records, LIMITS)).toEqual([]);
    expect(findViolations(records, { minIntervalMs: 0, perMinute: Infinity, perDay: 0 })).toEqual([]);
  });

  it('treats the minute window as half-open', () => {
    // 21 arrivals with the 21st exactly 60 000 ms after the first: never 21 inside [t, t + 60 000).
    const records = [...series(KEY_A, 20, 100), rec(KEY_A, 60_000)];
    expect(findViolations(records, { perMinute: 20 })).toEqual([]);
    const tooSoon = [...series(KEY_A, 20, 100), rec(KEY_A, 59_999.5)];
    expect(findViolations(tooSoon, { perMinute: 20 }).map((v) => v.kind)).toEqual(['minute']);
  });

  it('reports spacing, minute and day violations with masked keys', () => {
    const records = [
      ...series(KEY_A, 3, 3000),
      rec(KEY_A, 7000), // 1 s after the previous: spacing
      ...series(KEY_B, 21, 2900 / 1), // 21 in ~58 s: minute (and spacing, 2.9 s < 3 s)
      // KEY_C: 51 requests within one UTC day, well spaced within minutes, then more the next day.
      ...series(KEY_C, 51, 3000, -200_000_000 + 40_000_000),
      ...series(KEY_C, 3, 3000, 200_000),
    ];
    const shuffled = [...records].reverse(); // order of input must not matter
    const v = findViolations(shuffled, LIMITS);
    const summary = v.map((x) => `${x.key} ${x.kind}`);
    expect(summary).toEqual([
      `${maskKey(KEY_A)} spacing`,
      `${maskKey(KEY_B)} spacing`,
      `${maskKey(KEY_B)} minute`,
      `${maskKey(KEY_C)} day`,
    ]);
    expect(maskKey(KEY_A)).toBe(`${KEY_A.slice(0, 12)}…${KEY_A.slice(-4)}`);
    expect(v.every((x) => !x.key.includes(KEY_A.slice(12, -4)))).toBe(true);
    expect(v[0]?.detail).toMatch(/1 gap\(s\) below 3000 ms; smallest 1000\.000 ms/);
    expect(v[2]?.detail).toMatch(/^21 requests in the 60 s window/);
    expect(v[3]?.detail).toMatch(/^51 requests on \d{4}-\d{2}-\d{2} UTC \(limit 50\)$/);
  });

  it('restricts the check to countOnlyKeys', () => {
    const records = [...series(KEY_A, 2, 10), ...series(KEY_B, 2, 10)];
    const v = findViolations(records, { minIntervalMs: 100 }, { countOnlyKeys: [KEY_B] });
    expect(v.map((x) => x.key)).toEqual([maskKey(KEY_B)]);
  });
});

describe('spacingStats', () => {
  it('gives the smallest gap per key', () => {
    const records = [rec(KEY_A, 0), rec(KEY_A, 5000), rec(KEY_A, 5250.5), rec(KEY_B, 0), rec(KEY_A, 99, '/api/v1/models')];
    expect(spacingStats(records)).toEqual([
      { key: maskKey(KEY_A), requests: 3, minGapMs: 250.5 },
      { key: maskKey(KEY_B), requests: 1, minGapMs: null },
    ]);
  });
});
