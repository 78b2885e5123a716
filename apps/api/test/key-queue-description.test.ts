import { describe, expect, test } from 'vitest';
import { describeKeyQueue } from '../src/admin/key-queue-description.js';
import type { KeyStatus } from '../src/status/key-status-reader.js';

function status(s: Partial<KeyStatus>): KeyStatus {
  return {
    id: 'abc',
    key: 'sk-or-v1-ab…7f3c',
    state: 'active',
    disabledReason: null,
    accountId: 'user_2a…9f3c',
    today: { started: 12, succeeded: 10, failed: 1, promptTokens: 0, completionTokens: 0, paidStarted: 0 },
    thisMinute: 3,
    limits: { minIntervalMs: 5000, perMinute: 20, perDay: 200 },
    reserved: 0,
    paidReserved: 0,
    account: {
      id: 'user_2a…9f3c',
      known: true,
      source: 'upstream',
      used: 40,
      limit: 200,
      limitSource: 'config',
      started: 30,
      upstreamUsed: null,
      upstreamLimit: null,
      thisMinute: 5,
    },
    nextFreeSlotAt: '2030-01-02T03:04:05.000Z',
    nextFreeSlotInMs: 0,
    cooldownUntil: null,
    resetsAt: '2030-01-03T00:00:00.000Z',
    queue: { name: 'key-abc', waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, background: 0 },
    ...s,
  };
}

describe('Bull Board description of a key queue', () => {
  test('active: use against the limits and the next slot', () => {
    expect(describeKeyQueue(status({}))).toBe(
      'active · account user_2a…9f3c (upstream) · account today 40/200 (config), this key 12 started, 10 ok, 1 failed · account this minute 5/20 · next free slot now',
    );
    expect(describeKeyQueue(status({ nextFreeSlotInMs: 4_200 }))).toContain('next free slot 03:04:05 UTC (in 5 s)');
  });

  test('cooling down, exhausted and disabled say so', () => {
    expect(describeKeyQueue(status({ state: 'cooling-down', cooldownUntil: '2030-01-02T03:05:00.000Z' }))).toMatch(
      /^cooling down until 03:05:00 UTC · /,
    );
    expect(describeKeyQueue(status({ state: 'exhausted' }))).toMatch(/^exhausted for today \(resets 00:00:00 UTC\) · /);
    expect(describeKeyQueue(status({ state: 'disabled', disabledReason: 'invalid key (401)' }))).toMatch(
      /^disabled: invalid key \(401\) · .* · no next slot$/,
    );
  });

  test('limits that are off read as no limit', () => {
    const base = status({});
    const text = describeKeyQueue({ ...base, limits: { minIntervalMs: 0, perMinute: 0, perDay: 0 }, account: { ...base.account, limit: 0 } });
    expect(text).toContain('account today 40 (no limit)');
    expect(text).toContain('account this minute 5 (no limit)');
  });

  test('an account not known yet says the key counts alone; upstream figures show', () => {
    const base = status({});
    const text = describeKeyQueue({ ...base, account: { ...base.account, id: 'abc', known: false, source: 'key', upstreamUsed: 7, limitSource: 'upstream' } });
    expect(text).toContain('account unknown (counts alone)');
    expect(text).toContain('(upstream, upstream 7)');
  });
});
