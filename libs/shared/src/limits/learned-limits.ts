/**
 * What we accept from OpenRouter's X-RateLimit-* about a key, validated in one place: a header is
 * upstream's say-so, and a bad one (empty, "0", ten years ahead) must not switch a limit off or
 * park a key for good.
 */

const DAY_MS = 86_400_000;

/** Longest cooldown a per-minute 429 may impose: its window is a minute; the rest covers clock skew. */
export const MAX_COOLDOWN_MS = 120_000;
/** Cooldown when a per-minute 429 says nothing usable about its reset. */
export const DEFAULT_COOLDOWN_MS = 60_000;

/** The next 00:00 UTC after `now`, when OpenRouter's daily counts reset. */
export function nextUtcReset(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

/** A header value as a finite number, or undefined (absent, empty, not a number). */
function headerNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** Until when a key cools down after a per-minute 429: its reset, within (now, now + MAX_COOLDOWN_MS]. */
export function cooldownUntil(resetHeader: unknown, now: number): number {
  const reset = headerNumber(resetHeader);
  if (reset === undefined || reset <= now) return now + DEFAULT_COOLDOWN_MS;
  return Math.min(reset, now + MAX_COOLDOWN_MS);
}

/** Until when a key is done for the day after a per-day 429: its reset, at the latest the next UTC reset. */
export function exhaustedUntil(resetHeader: unknown, now: number): number {
  const reset = headerNumber(resetHeader);
  const midnight = nextUtcReset(now);
  if (reset === undefined || reset <= now) return midnight;
  return Math.min(reset, midnight);
}

/** A day limit learned from upstream, and when it stops counting. */
export interface LearnedDayLimit {
  limit: number;
  /** Epoch ms: the next UTC reset, so credits bought today raise the limit tomorrow. */
  untilMs: number;
}

/**
 * The daily ceiling upstream reported, when it is worth keeping: a positive integer below the
 * configured one (`configured` 0 = no configured limit: any positive integer). Undefined otherwise,
 * so a missing, empty, zero or silly header never turns "lower" into "off".
 */
export function learnDayLimit(limitHeader: unknown, configured: number, now: number): LearnedDayLimit | undefined {
  const limit = headerNumber(limitHeader);
  if (limit === undefined || !Number.isSafeInteger(limit) || limit < 1) return undefined;
  if (configured > 0 && limit >= configured) return undefined;
  return { limit, untilMs: nextUtcReset(now) };
}
