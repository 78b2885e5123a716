/** Display helpers: numbers, UTC clock times and countdowns. Pure, so they are the same in tests. */

const numberFormat = new Intl.NumberFormat('en-US');

export const count = (n: number): string => numberFormat.format(n);

/** `14:02:11 UTC`. */
export function clock(t: number): string {
  return `${new Date(t).toISOString().slice(11, 19)} UTC`;
}

/** `3 h 12 min`, `4 min 05 s`, `12 s`, `now`. */
export function duration(ms: number): string {
  if (ms <= 0) return 'now';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `in 12 s` or `now`. */
export function fromNow(t: number, now: number): string {
  return t <= now ? 'now' : `in ${duration(t - now)}`;
}

/** `12 s ago`, `5 min ago`, or the date for older instants. */
export function ago(t: number, now: number): string {
  const ms = now - t;
  if (ms < 5_000) return 'just now';
  if (ms < 3_600_000) return `${duration(ms).replace(/ \d+ s$/, '')} ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** `12 / 200`, or `12` with `no limit` where there is none. */
export function ofLimit(used: number, limit: number | null): string {
  return limit === null ? `${count(used)} · no limit` : `${count(used)} / ${count(limit)}`;
}

const REASONS: Record<string, string> = {
  invalid: 'OpenRouter rejected the key (401)',
  'no-credits': 'no credits left (402)',
};

/** Why a key is disabled, in words; reasons the page does not know are shown as they come. */
export function disabledReason(reason: string): string {
  return reason
    .split('; ')
    .map((r) => REASONS[r] ?? r)
    .join('; ');
}
