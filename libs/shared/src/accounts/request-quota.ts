/**
 * Which limits a request is held to: `free` for `:free` models (OpenRouter counts them toward the
 * account's per-minute and per-day limits), `paid` for every other model (no request cap upstream).
 */
export type RequestQuota = 'free' | 'paid';

/** A request whose `model`, or any of its `models` fallbacks, is a `:free` variant counts as free (it may be served by one). */
export function requestQuota(body: unknown): RequestQuota {
  if (body === null || typeof body !== 'object') return 'free';
  const b = body as { model?: unknown; models?: unknown };
  const ids = [b.model, ...(Array.isArray(b.models) ? (b.models as unknown[]) : [])].filter((id) => typeof id === 'string');
  // No model named: held to the free limits, the safe side.
  return ids.length === 0 || ids.some((id) => id.endsWith(':free')) ? 'free' : 'paid';
}
