import type { ChainableCommander } from 'ioredis';
import { keyDayOf } from '../limits/redis-keys.js';
import { utcDayNumber, DAY_MS } from '../util/time.js';

export interface UsageOutcome {
  succeeded: boolean;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Adds one finished request to its key's counters for the UTC day (starts are counted by
 * acquire.lua), as commands appended to `pipeline`: they ride along with the reply.
 */
export function addUsage(pipeline: ChainableCommander, keyBase: string, outcome: UsageOutcome, now = Date.now()): void {
  const day = keyDayOf(keyBase, utcDayNumber(now));
  pipeline.hincrby(day, outcome.succeeded ? 'succeeded' : 'failed', 1);
  // Adding 0 changes nothing: not worth a command.
  if (outcome.promptTokens !== 0) pipeline.hincrby(day, 'prompt_tokens', outcome.promptTokens);
  if (outcome.completionTokens !== 0) pipeline.hincrby(day, 'completion_tokens', outcome.completionTokens);
  pipeline.pexpire(day, 8 * DAY_MS);
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
