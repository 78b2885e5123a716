import type { Redis } from 'ioredis';
import { keyDayOf } from '../limits/redis-keys.js';
import { utcDayNumber, DAY_MS } from '../util/time.js';

export interface UsageOutcome {
  succeeded: boolean;
  promptTokens: number;
  completionTokens: number;
}

/** Adds one finished request to its key's counters for the UTC day (starts are counted by acquire.lua). */
export async function recordUsage(redis: Redis, keyBase: string, outcome: UsageOutcome, now = Date.now()): Promise<void> {
  const day = keyDayOf(keyBase, utcDayNumber(now));
  await redis
    .multi()
    .hincrby(day, outcome.succeeded ? 'succeeded' : 'failed', 1)
    .hincrby(day, 'prompt_tokens', outcome.promptTokens)
    .hincrby(day, 'completion_tokens', outcome.completionTokens)
    .pexpire(day, 8 * DAY_MS)
    .exec();
}

/** Reads `usage` of an OpenAI/OpenRouter completion body, tolerating its absence. */
export function tokensOf(body: unknown): { promptTokens: number; completionTokens: number } {
  const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { promptTokens: n(usage?.prompt_tokens), completionTokens: n(usage?.completion_tokens) };
}
