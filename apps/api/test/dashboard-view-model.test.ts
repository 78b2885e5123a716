import { describe, expect, test } from 'vitest';
import type { StatusJson, StatusKeyJson } from '../ui/src/status-json.js';
import { buildDashboardView } from '../ui/src/view-model.js';

const NOW = '2026-12-01T21:30:00.000Z';
const MIDNIGHT = Date.parse('2026-12-02T00:00:00.000Z');

function key(id: string, over: Partial<StatusKeyJson> = {}): StatusKeyJson {
  return {
    id,
    key: `sk-or-v1-${id}…abcd`,
    state: 'active',
    disabledReason: null,
    today: { started: 10, succeeded: 9, failed: 1 },
    thisMinute: 2,
    limits: { minIntervalMs: 5000, perMinute: 20, perDay: 50 },
    nextFreeSlotAt: '2026-12-01T21:30:04.000Z',
    nextFreeSlotInMs: 4000,
    cooldownUntil: null,
    resetsAt: '2026-12-02T00:00:00.000Z',
    queue: { name: `key-${id}`, waiting: 1, active: 1, delayed: 0, completed: 5, failed: 0 },
    ...over,
  };
}

function status(keys: StatusKeyJson[], extra: Partial<StatusJson> = {}): StatusJson {
  return {
    time: NOW,
    pool: { keys: keys.length, usableKeys: keys.length, startedToday: 30, succeededToday: 27, failedToday: 3, dailyCapacity: 150, remainingToday: 120, waiting: 3, active: 3 },
    keys,
    ...extra,
  };
}

describe('without per-account status (servers before accounts)', () => {
  test('every key is an account of its own, with its own remaining quota and Bull Board link', () => {
    const view = buildDashboardView(
      status([
        key('a'),
        key('b', { state: 'exhausted', today: { started: 50, succeeded: 50, failed: 0 } }),
        key('c', { state: 'disabled', disabledReason: 'invalid key (401)' }),
        key('d', { state: 'cooling-down', cooldownUntil: '2026-12-01T21:31:00.000Z' }),
      ]),
    );
    expect(view.accounts.map((a) => [a.id, a.source, a.state])).toEqual([
      ['sk-or-v1-a…abcd', 'key', { kind: 'active' }],
      ['sk-or-v1-b…abcd', 'key', { kind: 'exhausted', until: MIDNIGHT }],
      ['sk-or-v1-c…abcd', 'key', { kind: 'disabled', reason: 'invalid key (401)' }],
      ['sk-or-v1-d…abcd', 'key', { kind: 'cooling-down', until: Date.parse('2026-12-01T21:31:00.000Z') }],
    ]);
    // 40 + 0 + 0 (disabled counts nothing) + 40.
    expect(view.pool.remainingToday).toBe(80);
    expect(view.pool.capacityToday).toBe(150);
    expect(view.pool.answeredToday).toBe(27);
    expect(view.pool.resetsAt).toBe(MIDNIGHT);
    expect(view.pool.upstreamErrorsLastHour).toBeNull();
    expect(view.pool.usableAccounts).toBe(2);
    expect(view.accounts[0]?.keys[0]?.boardUrl).toBe('/admin/queues/queue/key-a');
    expect(view.accounts[2]?.nextFreeAt).toBeNull();
  });

  test('no daily limit reads as none, not as zero remaining', () => {
    const view = buildDashboardView(status([key('a', { limits: { minIntervalMs: 0, perMinute: 0, perDay: 0 } })]));
    expect(view.accounts[0]?.limitToday).toBeNull();
    expect(view.accounts[0]?.remainingToday).toBeNull();
    expect(view.pool.remainingToday).toBeNull();
  });
});

describe('with per-account status', () => {
  const accountsStatus = status([key('a1'), key('a2', { state: 'cooling-down', cooldownUntil: '2026-12-01T21:31:00.000Z' }), key('b1'), key('c1')], {
    accounts: [
      {
        id: 'user_…x1',
        known: true,
        source: 'upstream',
        keys: ['a1', 'a2'],
        today: { used: 30, limit: 50, remaining: 20, upstreamUsed: 31, upstreamLimit: 50, limitSource: 'upstream' },
        minute: { used: 4, limit: 20 },
        nextFreeAt: '2026-12-01T21:30:02.000Z',
      },
      {
        id: 'user_…y2',
        known: true,
        source: 'config',
        keys: ['b1'],
        today: { used: 1000, limit: 1000, remaining: 0, upstreamUsed: null, upstreamLimit: null, limitSource: 'config' },
        minute: { used: 0, limit: 20 },
        nextFreeAt: '2026-12-02T00:00:00.000Z',
      },
    ],
    lastHour: { upstreamErrors: 4, byOutcome: { timeout: 1, 'rate-limited': 3 } },
  });

  test('keys are grouped under their account, which carries the shared quota', () => {
    const view = buildDashboardView(accountsStatus);
    const [a, b, c] = view.accounts;
    expect(a?.keys.map((k) => k.id)).toEqual(['a1', 'a2']);
    expect(a).toMatchObject({ id: 'user_…x1', source: 'upstream', state: { kind: 'active' }, usedToday: 30, limitToday: 50, remainingToday: 20 });
    expect(a?.upstream).toEqual({ used: 31, limit: 50 });
    expect(a?.queue).toEqual({ waiting: 2, active: 2, delayed: 0, failed: 0 });
    expect(a?.nextFreeAt).toBe(Date.parse('2026-12-01T21:30:02.000Z'));
    // An account whose day is spent is exhausted even though its key alone looks active.
    expect(b).toMatchObject({ state: { kind: 'exhausted', until: MIDNIGHT }, remainingToday: 0, upstream: null });
    // A key the server put in no account still shows, as its own.
    expect(c).toMatchObject({ id: 'sk-or-v1-c1…abcd', source: 'key', remainingToday: 40 });
  });

  test("an account's next free slot is read as /api/status sends it: epoch ms", () => {
    const ms = Date.parse('2026-12-01T21:30:05.000Z');
    const first = accountsStatus.accounts![0]!;
    const view = buildDashboardView({ ...accountsStatus, accounts: [{ ...first, nextFreeAt: ms }, ...accountsStatus.accounts!.slice(1)] });
    expect(view.accounts[0]?.nextFreeAt).toBe(ms);
  });

  test('the pool sums the accounts, not the keys, and reports the last hour of errors', () => {
    const view = buildDashboardView(accountsStatus);
    expect(view.pool.accounts).toBe(3);
    expect(view.pool.remainingToday).toBe(20 + 0 + 40);
    expect(view.pool.capacityToday).toBe(50 + 1000 + 50);
    expect(view.pool.upstreamErrorsLastHour).toBe(4);
    expect(view.pool.upstreamErrorsByOutcome).toEqual([
      ['rate-limited', 3],
      ['timeout', 1],
    ]);
  });

  test('an account with every key disabled is disabled, with the reasons, and has nothing left', () => {
    const view = buildDashboardView(
      status([key('a1', { state: 'disabled', disabledReason: 'no credits (402)' }), key('a2', { state: 'disabled', disabledReason: 'invalid key (401)' })], {
        accounts: [
          {
            id: 'user_…z3',
            known: true,
            source: 'upstream',
            keys: ['a1', 'a2'],
            today: { used: 3, limit: 50, remaining: 47, upstreamUsed: null, upstreamLimit: null },
            minute: { used: 0, limit: 20 },
            nextFreeAt: null,
          },
        ],
      }),
    );
    expect(view.accounts[0]).toMatchObject({ state: { kind: 'disabled', reason: 'no credits (402); invalid key (401)' }, remainingToday: 0, nextFreeAt: null });
    expect(view.pool.remainingToday).toBe(0);
  });
});
