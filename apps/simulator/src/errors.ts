import type { LimitDecision } from './rate-limiter.js';

export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function errorReply(status: number, message: string): ErrorReply {
  return { status, body: { error: { message, code: status } } };
}

export const noCredentials = (): ErrorReply => errorReply(401, 'No auth credentials found');
export const userNotFound = (): ErrorReply => errorReply(401, 'User not found.');
export const insufficientCredits = (): ErrorReply =>
  errorReply(402, 'Insufficient credits. Add more using https://openrouter.ai/credits');

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'User not found.',
  402: 'Insufficient credits. Add more using https://openrouter.ai/credits',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request timed out',
  429: 'Rate limit exceeded',
  500: 'Internal Server Error',
  502: 'Provider returned error',
  503: 'No available providers',
  504: 'Gateway Timeout',
};

/** Body used for forced statuses (header or fault) that do not bring their own. */
export function genericError(status: number): ErrorReply {
  return errorReply(status, DEFAULT_MESSAGES[status] ?? `Simulated error ${status}`);
}

const MINUTE_MESSAGE = 'Rate limit exceeded: free-models-per-min. ';
const DAY_MESSAGE =
  'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day';

/** The exact shape OpenRouter sends, with the X-RateLimit-* values repeated as real headers. */
export function rateLimited(decision: Extract<LimitDecision, { ok: false }>, userId = 'user_sim'): ErrorReply {
  const headers = {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': String(decision.resetAtMs),
  };
  return {
    status: 429,
    headers,
    body: {
      error: {
        message: decision.kind === 'minute' ? MINUTE_MESSAGE : DAY_MESSAGE,
        code: 429,
        metadata: { headers, provider_name: null },
      },
      user_id: userId,
    },
  };
}
