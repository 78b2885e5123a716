export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export type LimitDecision =
  | { ok: true }
  | { ok: false; kind: 'minute' | 'day'; limit: number; resetAtMs: number };

interface AccountState {
  /** hrMs of admitted requests, oldest first; entries before `head` have left the window. */
  window: number[];
  head: number;
  day: number;
  dayCount: number;
}

export function isLimitOn(limit: number | null | undefined): limit is number {
  return typeof limit === 'number' && limit > 0 && Number.isFinite(limit);
}

/**
 * Per-account quotas as OpenRouter applies them. Only admitted requests consume quota, so
 * X-RateLimit-Reset (oldest admitted + 60 s) is the real moment a slot frees up. Counters are
 * kept even while a limit is off, so switching it on mid-run sees the recent past.
 * The minute window uses hrMs, the same clock findViolations uses, so the two never disagree.
 */
export class RateLimiter {
  private accounts = new Map<string, AccountState>();

  private today(account: string, receivedAtMs: number): AccountState {
    let s = this.accounts.get(account);
    if (s === undefined) {
      s = { window: [], head: 0, day: 0, dayCount: 0 };
      this.accounts.set(account, s);
    }
    const day = Math.floor(receivedAtMs / DAY_MS);
    if (day !== s.day) {
      s.day = day;
      s.dayCount = 0;
    }
    return s;
  }

  check(account: string, hrMs: number, receivedAtMs: number, perMinute?: number, perDay?: number): LimitDecision {
    const s = this.today(account, receivedAtMs);
    const day = s.day;
    const w = s.window;
    // Half-open window: an arrival at exactly oldest + 60 000 ms no longer overlaps it.
    while (s.head < w.length && (w[s.head] as number) <= hrMs - MINUTE_MS) s.head++;
    if (s.head > 1024 && s.head * 2 > w.length) {
      w.splice(0, s.head);
      s.head = 0;
    }

    if (isLimitOn(perDay) && s.dayCount >= perDay) {
      return { ok: false, kind: 'day', limit: perDay, resetAtMs: (day + 1) * DAY_MS };
    }
    if (isLimitOn(perMinute) && w.length - s.head >= perMinute) {
      // The slot that frees first is the one `perMinute` places back from the newest.
      const oldest = w[w.length - perMinute] as number;
      return { ok: false, kind: 'minute', limit: perMinute, resetAtMs: Math.ceil(oldest + MINUTE_MS) };
    }
    w.push(hrMs);
    s.dayCount++;
    return { ok: true };
  }

  /** Free-model requests the account made today (here and, via `spend`, elsewhere). */
  usedToday(account: string, nowMs: number): number {
    return this.today(account, nowMs).dayCount;
  }

  /** Marks `requests` of today's quota as spent elsewhere (another app using the same account). */
  spend(account: string, requests: number, nowMs: number): void {
    this.today(account, nowMs).dayCount += requests;
  }

  clear(): void {
    this.accounts.clear();
  }
}
