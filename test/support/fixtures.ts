import { expect } from 'vitest';

/** A free model id: the simulator echoes chat requests for it and counts them against the limits. */
export const MODEL = 'meta-llama/llama-4-maverick:free';
export const EMBEDDING_MODEL = 'openai/text-embedding-3-small';
/** Stack env with spacing, minute and day limits off, for tests about something else. */
export const noLimits = { KEY_MIN_INTERVAL_MS: '0', KEY_REQUESTS_PER_MINUTE: '0', KEY_REQUESTS_PER_DAY: '0' };

/** The error a call must fail with (the test fails if it succeeds). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('expected the call to fail'),
    (err: unknown) => err,
  );
}
