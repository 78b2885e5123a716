/** Failed Basic-auth attempts one address may make per window before it must wait. */
export const AUTH_FAILURES_ALLOWED = 30;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses remembered at most; beyond that the oldest are forgotten (memory stays bounded). */
const MAX_TRACKED = 10_000;

/**
 * Slows password guessing on the admin surface: after AUTH_FAILURES_ALLOWED failures from one
 * address within a window, that address is refused until the window ends. Per API process.
 */
export class AuthFailures {
  private readonly byAddress = new Map<string, { count: number; since: number }>();

  /** Ms the address must still wait, 0 when it may try. */
  blockedForMs(address: string, now = Date.now()): number {
    const entry = this.byAddress.get(address);
    if (!entry || now - entry.since >= AUTH_FAILURE_WINDOW_MS) return 0;
    return entry.count >= AUTH_FAILURES_ALLOWED ? entry.since + AUTH_FAILURE_WINDOW_MS - now : 0;
  }

  fail(address: string, now = Date.now()): void {
    const entry = this.byAddress.get(address);
    if (!entry || now - entry.since >= AUTH_FAILURE_WINDOW_MS) {
      if (this.byAddress.size >= MAX_TRACKED) this.byAddress.delete(this.byAddress.keys().next().value ?? '');
      this.byAddress.set(address, { count: 1, since: now });
      return;
    }
    entry.count++;
  }
}
