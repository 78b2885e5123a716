/** Exponential backoff with full jitter around the middle: 0.5–1.5 × 500 ms × 2^(attempt-1), at most 10 s. */
export function retryDelayMs(attempt: number, random = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random()));
}
