import type { StatusAccountJson, StatusJson, StatusKeyJson } from './status-json.js';

/** What a key or an account is doing, with the instant that ends it where there is one (epoch ms). */
export type StateView =
  | { kind: 'active' }
  | { kind: 'cooling-down'; until: number | null }
  | { kind: 'exhausted'; until: number }
  | { kind: 'disabled'; reason: string | null };

export interface QueueView {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface KeyView {
  id: string;
  masked: string;
  state: StateView;
  usedToday: number;
  /** null: no daily limit. */
  limitToday: number | null;
  thisMinute: number;
  perMinute: number | null;
  /** null: no slot will come (disabled). */
  nextFreeAt: number | null;
  queue: QueueView;
  /** This key's queue in Bull Board. */
  boardUrl: string;
}

export interface AccountView {
  /** Masked account id, or the key's mask when the server does not group keys by account. */
  id: string;
  /** Where the account grouping came from; `key` means each key is its own account. */
  source: StatusAccountJson['source'];
  state: StateView;
  usedToday: number;
  limitToday: number | null;
  remainingToday: number | null;
  /** What OpenRouter itself reports for the account today, where it does. */
  upstream: { used: number; limit: number | null } | null;
  minuteUsed: number;
  minuteLimit: number | null;
  nextFreeAt: number | null;
  queue: QueueView;
  keys: KeyView[];
}

export interface PoolView {
  answeredToday: number;
  failedToday: number;
  /** null: at least one account has no daily limit. */
  remainingToday: number | null;
  capacityToday: number | null;
  /** The next 00:00 UTC. */
  resetsAt: number;
  waiting: number;
  active: number;
  /** null: the server does not report it. */
  upstreamErrorsLastHour: number | null;
  upstreamErrorsByOutcome: [string, number][];
  accounts: number;
  usableAccounts: number;
  keys: number;
}

export interface DashboardView {
  serverTime: number;
  pool: PoolView;
  accounts: AccountView[];
}

const limitOf = (n: number | null | undefined): number | null => (n === null || n === undefined || n <= 0 ? null : n);
const at = (iso: number | string | null | undefined): number | null => {
  if (typeof iso === 'number') return Number.isFinite(iso) ? iso : null;
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};
const nextUtcMidnight = (t: number): number => (Math.floor(t / 86_400_000) + 1) * 86_400_000;
const minOf = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.min(...present);
};

function keyState(k: StatusKeyJson, now: number): StateView {
  switch (k.state) {
    case 'active':
      return { kind: 'active' };
    case 'cooling-down':
      return { kind: 'cooling-down', until: at(k.cooldownUntil) };
    case 'exhausted':
      return { kind: 'exhausted', until: at(k.resetsAt) ?? nextUtcMidnight(now) };
    case 'disabled':
      return { kind: 'disabled', reason: k.disabledReason };
  }
}

function keyView(k: StatusKeyJson, now: number, boardBase: string): KeyView {
  return {
    id: k.id,
    masked: k.key,
    state: keyState(k, now),
    usedToday: k.today.started,
    limitToday: limitOf(k.limits.perDay),
    thisMinute: k.thisMinute,
    perMinute: limitOf(k.limits.perMinute),
    nextFreeAt: k.state === 'disabled' ? null : (at(k.nextFreeSlotAt) ?? now),
    queue: { waiting: k.queue.waiting, active: k.queue.active, delayed: k.queue.delayed, failed: k.queue.failed },
    boardUrl: `${boardBase}/queue/${encodeURIComponent(k.queue.name)}`,
  };
}

function sumQueues(keys: KeyView[]): QueueView {
  const q: QueueView = { waiting: 0, active: 0, delayed: 0, failed: 0 };
  for (const k of keys) {
    q.waiting += k.queue.waiting;
    q.active += k.queue.active;
    q.delayed += k.queue.delayed;
    q.failed += k.queue.failed;
  }
  return q;
}

/** An account's state from its keys': disabled only if every key is, exhausted if its day is spent. */
function accountState(keys: KeyView[], remaining: number | null, resetsAt: number): StateView {
  const live = keys.filter((k) => k.state.kind !== 'disabled');
  if (live.length === 0) {
    const reasons = [...new Set(keys.map((k) => (k.state.kind === 'disabled' ? k.state.reason : null)).filter((r) => r !== null))];
    return { kind: 'disabled', reason: reasons.length > 0 ? reasons.join('; ') : null };
  }
  if (remaining === 0 || live.every((k) => k.state.kind === 'exhausted')) return { kind: 'exhausted', until: resetsAt };
  if (live.some((k) => k.state.kind === 'active')) return { kind: 'active' };
  return { kind: 'cooling-down', until: minOf(live.map((k) => (k.state.kind === 'cooling-down' ? k.state.until : null))) };
}

/** Each key as an account of its own: what servers without per-account status give. */
function accountOfKey(k: KeyView, resetsAt: number): AccountView {
  const remaining = k.state.kind === 'disabled' ? 0 : k.limitToday === null ? null : Math.max(0, k.limitToday - k.usedToday);
  return {
    id: k.masked,
    source: 'key',
    state: accountState([k], remaining, resetsAt),
    usedToday: k.usedToday,
    limitToday: k.limitToday,
    remainingToday: remaining,
    upstream: null,
    minuteUsed: k.thisMinute,
    minuteLimit: k.perMinute,
    nextFreeAt: k.nextFreeAt,
    queue: k.queue,
    keys: [k],
  };
}

function accountOf(a: StatusAccountJson, keys: KeyView[], resetsAt: number): AccountView {
  const limit = limitOf(a.today.limit);
  const state = accountState(keys, a.today.remaining, resetsAt);
  const remaining = state.kind === 'disabled' ? 0 : limit === null ? null : Math.max(0, a.today.remaining ?? limit - a.today.used);
  return {
    id: a.id,
    source: a.source,
    state,
    usedToday: a.today.used,
    limitToday: limit,
    remainingToday: remaining,
    upstream: a.today.upstreamUsed === null ? null : { used: a.today.upstreamUsed, limit: limitOf(a.today.upstreamLimit) },
    minuteUsed: a.minute.used,
    minuteLimit: limitOf(a.minute.limit),
    nextFreeAt: state.kind === 'disabled' ? null : (at(a.nextFreeAt) ?? minOf(keys.map((k) => k.nextFreeAt))),
    queue: sumQueues(keys),
    keys,
  };
}

/**
 * Turns `/api/status` into what the dashboard shows. Groups keys by `accounts` where the server
 * reports them; otherwise (older servers) every key counts as its own account.
 */
export function buildDashboardView(status: StatusJson, boardBase = '/admin/queues'): DashboardView {
  const now = at(status.time) ?? Date.now();
  const resetsAt = nextUtcMidnight(now);
  const keys = status.keys.map((k) => keyView(k, now, boardBase));
  const byId = new Map(keys.map((k) => [k.id, k]));

  let accounts: AccountView[];
  if (status.accounts && status.accounts.length > 0) {
    const grouped = new Set<string>();
    accounts = status.accounts.map((a) => {
      const own = a.keys.map((id) => byId.get(id)).filter((k): k is KeyView => k !== undefined);
      for (const k of own) grouped.add(k.id);
      return accountOf(a, own, resetsAt);
    });
    // A key the server left out of every account still shows, on its own.
    for (const k of keys) if (!grouped.has(k.id)) accounts.push(accountOfKey(k, resetsAt));
  } else {
    accounts = keys.map((k) => accountOfKey(k, resetsAt));
  }

  const remaining = accounts.map((a) => a.remainingToday);
  const limits = accounts.map((a) => (a.state.kind === 'disabled' ? 0 : a.limitToday));
  const sum = (xs: (number | null)[]): number | null => (xs.some((x) => x === null) ? null : xs.reduce<number>((s, x) => s + (x ?? 0), 0));
  const errors = status.lastHour;
  return {
    serverTime: now,
    pool: {
      answeredToday: status.pool.succeededToday,
      failedToday: status.pool.failedToday,
      remainingToday: sum(remaining),
      capacityToday: sum(limits),
      resetsAt,
      waiting: status.pool.waiting,
      active: status.pool.active,
      upstreamErrorsLastHour: errors ? errors.upstreamErrors : null,
      upstreamErrorsByOutcome: errors ? Object.entries(errors.byOutcome).sort((a, b) => b[1] - a[1]) : [],
      accounts: accounts.length,
      usableAccounts: accounts.filter((a) => a.state.kind !== 'disabled' && a.state.kind !== 'exhausted').length,
      keys: keys.length,
    },
    accounts,
  };
}
