import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import {
  AuthenticationError,
  RateLimitedError,
  type ClientKeyStore,
  type ClientTokens,
} from '@ork/shared';
import type { Logger } from 'pino';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { presentedKey } from './presented-key.js';

const HOW = 'Send your key as `Authorization: Bearer <key>`, `X-API-Key: <key>` or `?api_key=<key>`.';

/** Tokens the route put in `res.locals.usage`, if it did. */
function tokensOf(res: Response): ClientTokens | undefined {
  const { usage } = res.locals;
  const n = (v: number): number => (Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
  if (usage === undefined) return undefined;
  const tokens = { promptTokens: n(usage.promptTokens), completionTokens: n(usage.completionTokens) };
  return tokens.promptTokens + tokens.completionTokens > 0 ? tokens : undefined;
}

/**
 * API_KEY_AUTH_ENABLED: every request on the OpenAI routes needs a client key. One Redis call
 * admits it (known, active, under its rateLimit) and counts it; the tokens the route reports in
 * `res.locals.usage` are added when the response is done.
 */
export function clientAuth(store: ClientKeyStore, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    // The OpenAI router is mounted under several prefixes; a request that falls through one is counted once.
    if (res.locals.clientKeyId !== undefined) return next();
    const presented = presentedKey(req.headers, req.query);
    if (presented.kind === 'missing') {
      throw new AuthenticationError(`Missing API key. ${HOW}`, { code: 'missing_api_key' });
    }
    if (presented.kind === 'malformed') {
      throw new AuthenticationError(`Malformed API key. ${HOW}`);
    }
    const admission = await orRedisUnavailable('client keys cannot be checked right now', () => store.admit(presented.key, randomUUID()));
    switch (admission.kind) {
      case 'unknown':
        throw new AuthenticationError('Invalid API key: unknown or revoked.');
      case 'disabled':
        throw new AuthenticationError('This API key is disabled.', { code: 'api_key_disabled' });
      case 'limited':
        throw new RateLimitedError(
          `This API key may make ${admission.limit} requests per minute; retry after the time in Retry-After.`,
          admission.retryAfterMs,
          { code: 'client_rate_limit_exceeded' },
        );
      case 'admitted':
        break;
    }
    const { id } = admission;
    res.locals.clientKeyId = id;
    // The per-request logger (request-logger.ts), when present, names the client from here on.
    if (req.log !== undefined) req.log = req.log.child({ clientKeyId: id });
    // 'close' comes after 'finish', and also when the client leaves mid-stream: tokens spent either way.
    res.once('close', () => {
      const tokens = tokensOf(res);
      if (tokens === undefined) return;
      store.recordTokens(id, tokens).catch((err: unknown) => {
        logger.warn({ err, clientKeyId: id }, 'could not record client key tokens');
      });
    });
    next();
  };
}
