import { describe, expect, test } from 'vitest';
import { nextStep, usageCount, type AttemptVerdict, type NextStep } from '../src/decisions/next-step.js';

const limits = { maxAttempts: 3 };
const cooldown = { kind: 'key-cooldown', untilMs: 1_000 } as const;
const exhausted = { kind: 'key-exhausted', untilMs: 2_000, learned: { limit: 50, untilMs: 86_400_000 } } as const;
const invalid = { kind: 'key-disabled', reason: 'invalid' } as const;
const noKey = { kind: 'refuse', refusal: { kind: 'no-key' } } as const;
const moveDefaults = { kind: 'move', keyVerdict: undefined, drain: 'none', soonerThanMs: undefined, releaseReservation: false } as const;
const unreachable = { kind: 'error', status: 502, code: 'upstream_unreachable', message: 'down' } as const;

const cases: [string, AttemptVerdict, number, NextStep][] = [
  ['a short wait for the slot stays on this key', { kind: 'slot-wait', waitMs: 2_000 }, 1, { kind: 'requeue' }],
  [
    'a long wait for the slot moves if another key is clearly sooner',
    { kind: 'slot-wait', waitMs: 2_001 },
    1,
    { ...moveDefaults, soonerThanMs: 2_001, releaseReservation: true, otherwise: { kind: 'requeue' } },
  ],
  ['a key out of rotation at the slot moves, else the router refuses', { kind: 'slot-refused' }, 1, { ...moveDefaults, otherwise: noKey }],
  ['a cancelled call stops', { kind: 'cancelled' }, 1, { kind: 'stop' }],
  [
    'a network error is retried elsewhere while attempts remain',
    { kind: 'network-error', timedOut: false, midStream: false, message: 'down' },
    2,
    { kind: 'retry-elsewhere', attempt: 3, otherwise: { kind: 'refuse', refusal: unreachable } },
  ],
  [
    'a network error on the last attempt is refused with 502',
    { kind: 'network-error', timedOut: false, midStream: false, message: 'down' },
    3,
    { kind: 'refuse', refusal: unreachable },
  ],
  [
    'a timeout is never retried: 504',
    { kind: 'network-error', timedOut: true, midStream: false, message: 'late' },
    1,
    { kind: 'refuse', refusal: { kind: 'error', status: 504, code: 'upstream_timeout', message: 'late' } },
  ],
  [
    'a network error mid-stream ends the stream',
    { kind: 'network-error', timedOut: false, midStream: true, message: 'cut' },
    1,
    { kind: 'refuse', refusal: { kind: 'stream-error', status: 502, message: 'cut' } },
  ],
  [
    'a timeout mid-stream ends the stream with 504',
    { kind: 'network-error', timedOut: true, midStream: true, message: 'late' },
    1,
    { kind: 'refuse', refusal: { kind: 'stream-error', status: 504, message: 'late' } },
  ],
  ['a good answer is delivered', { kind: 'answer', verdict: { kind: 'deliver' }, status: 200 }, 1, { kind: 'deliver', status: 200 }],
  ['a client error is delivered as it is', { kind: 'answer', verdict: { kind: 'deliver' }, status: 400 }, 1, { kind: 'deliver', status: 400 }],
  [
    'an upstream error is retried while attempts remain, else delivered',
    { kind: 'answer', verdict: { kind: 'retry', reason: 'upstream-error' }, status: 503 },
    1,
    { kind: 'retry-elsewhere', attempt: 2, otherwise: { kind: 'deliver', status: 503 } },
  ],
  [
    'an upstream error on the last attempt is delivered',
    { kind: 'answer', verdict: { kind: 'retry', reason: 'error-in-200' }, status: 502 },
    3,
    { kind: 'deliver', status: 502 },
  ],
  [
    'a cooldown moves the request and the queue (possibly back here), else requeues',
    { kind: 'answer', verdict: cooldown, status: 429 },
    3,
    { ...moveDefaults, keyVerdict: cooldown, drain: 'any', otherwise: { kind: 'requeue' } },
  ],
  [
    'an exhausted key moves the request and the queue to other keys, else the router refuses',
    { kind: 'answer', verdict: exhausted, status: 429 },
    1,
    { ...moveDefaults, keyVerdict: exhausted, drain: 'others', otherwise: noKey },
  ],
  [
    'a disabled key moves the request and the queue to other keys, else 503',
    { kind: 'answer', verdict: invalid, status: 401 },
    1,
    {
      ...moveDefaults,
      keyVerdict: invalid,
      drain: 'others',
      otherwise: {
        kind: 'refuse',
        refusal: { kind: 'error', status: 503, code: 'no_usable_key', message: 'No usable OpenRouter key: OpenRouter refused the last one (401, invalid).' },
      },
    },
  ],
  [
    'an answer past UPSTREAM_MAX_RESPONSE_BYTES is a 502 of its own, never retried (issue 12)',
    { kind: 'network-error', timedOut: false, midStream: false, message: 'too big', tooLarge: true },
    1,
    { kind: 'refuse', refusal: { kind: 'error', status: 502, code: 'upstream_response_too_large', message: 'too big' } },
  ],
  ['a request whose API process is gone stops: nobody to answer (issue 12)', { kind: 'orphaned' }, 1, { kind: 'stop' }],
  [
    'a request whose client key was revoked while it waited is refused with 401 (issue 12)',
    { kind: 'client-revoked' },
    1,
    {
      kind: 'refuse',
      refusal: {
        kind: 'error',
        status: 401,
        code: 'client_key_revoked',
        message: 'The client key of this request was revoked or disabled while it waited; it was not sent upstream.',
      },
    },
  ],
];

describe('nextStep', () => {
  test.each(cases)('%s', (_name, verdict, attempt, expected) => {
    expect(nextStep(verdict, attempt, limits)).toEqual(expected);
  });

  test('one attempt allowed: nothing is retried', () => {
    const step = nextStep({ kind: 'answer', verdict: { kind: 'retry', reason: 'provider-rate-limited' }, status: 429 }, 1, { maxAttempts: 1 });
    expect(step).toEqual({ kind: 'deliver', status: 429 });
  });
});

describe('usageCount', () => {
  const table: [AttemptVerdict, ReturnType<typeof usageCount>][] = [
    [{ kind: 'slot-wait', waitMs: 5 }, undefined],
    [{ kind: 'slot-refused' }, undefined],
    [{ kind: 'orphaned' }, undefined],
    [{ kind: 'client-revoked' }, undefined],
    [{ kind: 'cancelled' }, { succeeded: false, withTokens: false }],
    [{ kind: 'network-error', timedOut: false, midStream: false, message: '' }, { succeeded: false, withTokens: false }],
    [{ kind: 'answer', verdict: { kind: 'deliver' }, status: 200 }, { succeeded: true, withTokens: true }],
    [{ kind: 'answer', verdict: { kind: 'deliver' }, status: 404 }, { succeeded: false, withTokens: true }],
    [{ kind: 'answer', verdict: { kind: 'retry', reason: 'upstream-error' }, status: 500 }, { succeeded: false, withTokens: false }],
    [{ kind: 'answer', verdict: cooldown, status: 429 }, { succeeded: false, withTokens: false }],
  ];
  test.each(table)('%j counts as %j', (verdict, expected) => {
    expect(usageCount(verdict)).toEqual(expected);
  });
});
