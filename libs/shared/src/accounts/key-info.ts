/** What `GET /key` tells about one upstream key, each field optional (older upstreams lack the newer ones). */
export interface KeyInfo {
  /** `creator_user_id`: keys with the same value share one account's free-model limits. */
  creatorUserId: string | null;
  /** `free_model_daily_requests`: the account's free-model requests today and its ceiling (50 or 1,000). */
  freeDaily: { used: number; limit: number } | null;
  /** `limit_remaining`: the key's credit left under its cap (USD); null = no cap. */
  creditRemaining: number | null;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Reads a `GET /key` body; undefined when it is not one. */
export function parseKeyInfo(body: string): KeyInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as { creator_user_id?: unknown; free_model_daily_requests?: unknown; limit_remaining?: unknown };
  const daily = d.free_model_daily_requests as { used?: unknown; limit?: unknown } | null | undefined;
  return {
    creatorUserId: typeof d.creator_user_id === 'string' && d.creator_user_id !== '' ? d.creator_user_id : null,
    freeDaily: daily && isCount(daily.used) && isCount(daily.limit) ? { used: daily.used, limit: daily.limit } : null,
    creditRemaining: typeof d.limit_remaining === 'number' ? d.limit_remaining : null,
  };
}
