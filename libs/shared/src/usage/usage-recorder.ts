import type { RedisClient } from '../redis/redis-client.js';
import { keyDayOf } from '../limits/redis-keys.js';
import { utcDayNumber, DAY_MS } from '../util/time.js';

export interface UsageOutcome {
  succeeded: boolean;
  promptTokens: number;
  completionTokens: number;
}

/** Adds one finished request to its key's counters for the UTC day (starts are counted by acquire.lua). */
export async function recordUsage(redis: RedisClient, keyBase: string, outcome: UsageOutcome, now = Date.now()): Promise<void> {
  const day = keyDayOf(keyBase, utcDayNumber(now));
  await redis
    .multi()
    .hincrby(day, outcome.succeeded ? 'succeeded' : 'failed', 1)
    .hincrby(day, 'prompt_tokens', outcome.promptTokens)
    .hincrby(day, 'completion_tokens', outcome.completionTokens)
    .pexpire(day, 8 * DAY_MS)
    .exec();
}

interface UsageFields {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  /** The Responses API's names. */
  input_tokens?: unknown;
  output_tokens?: unknown;
}

/** Reads `usage` of a chat, completion, embeddings or Responses body (`response.usage` in its events), tolerating its absence. */
export function tokensOf(body: unknown): { promptTokens: number; completionTokens: number } {
  const usage = (body as { usage?: UsageFields } | null)?.usage;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    promptTokens: n(usage?.prompt_tokens ?? usage?.input_tokens),
    completionTokens: n(usage?.completion_tokens ?? usage?.output_tokens),
  };
}
