import type { ReplyMessage } from '../reply/reply-message.js';

/** What one reply from a key queue means for a background item. */
export type ItemOutcome =
  | { kind: 'finish'; status: 'completed' | 'failed'; httpStatus: number; body: string }
  /** Not the request's fault and not final: no capacity left today, every key busy, Redis lost it. */
  | { kind: 'requeue' };

/** Refusals that a later try serves: the item goes back to the head of its backlog. */
const TRY_LATER = new Set(['daily_limit_reached', 'queue_full', 'request_lost', 'no_usable_key']);

function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Decides from a worker's reply; undefined for messages a background item never waits for (streams). */
export function itemOutcome(message: ReplyMessage): ItemOutcome | undefined {
  switch (message.type) {
    case 'response':
      return {
        kind: 'finish',
        status: message.status >= 200 && message.status < 300 ? 'completed' : 'failed',
        httpStatus: message.status,
        body: message.body,
      };
    case 'error':
      if (TRY_LATER.has(message.code)) return { kind: 'requeue' };
      return {
        kind: 'finish',
        status: 'failed',
        httpStatus: message.status,
        body: JSON.stringify({ error: { message: message.message, type: openAiType(message.status), code: message.code, param: null } }),
      };
    case 'stream-start':
    case 'chunk':
    case 'stream-end':
      return undefined;
  }
}
