import { HttpError, RateLimitedError, type ReplyMessage } from '@ork/shared';

/** The HttpError for a worker's `error` reply (no upstream answer, queue timeout, day exhausted). */
export function replyError(reply: Extract<ReplyMessage, { type: 'error' }>): HttpError {
  if (reply.status === 429 && reply.retryAfterMs !== undefined) {
    return new RateLimitedError(reply.message, reply.retryAfterMs, { code: reply.code });
  }
  return new HttpError(reply.status, reply.status === 504 ? 'timeout_error' : 'server_error', reply.message, {
    code: reply.code,
  });
}
