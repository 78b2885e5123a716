import { describe, expect, test } from 'vitest';
import { decodeKeyStatusReply } from '../src/status/key-status.js';

const reply = [
  ['now', 1000],
  ['nextStart', 1200],
  ['thisMinute', 3],
  ['started', '7'],
  ['succeeded', '5'],
  ['failed', '1'],
  ['promptTokens', '40'],
  ['completionTokens', '60'],
  ['reserved', 2],
  ['dayLimit', 50],
  ['cooldownUntil', '0'],
  ['disabled', ''],
  ['exhaustedUntil', '0'],
  ['paidStarted', '4'],
  ['paidReserved', 1],
  ['accountBase', 't:acct:u-1'],
  ['accountMasked', 'user_2a…9f3c'],
  ['accountSource', 'upstream'],
  ['accountMinute', 5],
  ['accountStarted', '9'],
  ['dayUsed', 12],
  ['limitSource', 'upstream'],
  ['upstreamUsed', 10],
  ['upstreamLimit', '50'],
].flat();

describe('decodeKeyStatusReply', () => {
  test('reads every field by name, in any order', () => {
    const shuffled = [...reply.slice(12), ...reply.slice(0, 12)];
    const decoded = decodeKeyStatusReply(shuffled);
    expect(decoded).toEqual({
      now: 1000,
      nextStart: 1200,
      thisMinute: 3,
      started: 7,
      succeeded: 5,
      failed: 1,
      promptTokens: 40,
      completionTokens: 60,
      reserved: 2,
      dayLimit: 50,
      cooldownUntil: 0,
      disabled: '',
      exhaustedUntil: 0,
      paidStarted: 4,
      paidReserved: 1,
      accountBase: 't:acct:u-1',
      accountMasked: 'user_2a…9f3c',
      accountSource: 'upstream',
      accountMinute: 5,
      accountStarted: 9,
      dayUsed: 12,
      limitSource: 'upstream',
      upstreamUsed: 10,
      upstreamLimit: 50,
    });
  });

  test('a missing field is an error, not a zero', () => {
    expect(() => decodeKeyStatusReply(reply.slice(2))).toThrow(/lacks now/);
  });

  test('a reply that is not a field/value list is an error', () => {
    expect(() => decodeKeyStatusReply([1, 2, 3])).toThrow(/unexpected reply/);
    expect(() => decodeKeyStatusReply('x')).toThrow(/unexpected reply/);
  });
});
