import type { RequestHandler } from 'express';
import { HttpError } from '@ork/shared';

/** POST bodies must be JSON; anything else is refused before parsing. */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    if (req.method !== 'POST') return next();
    if (req.is(['application/json', '+json'])) return next();
    next(
      new HttpError(415, 'invalid_request_error', 'Content-Type must be application/json.', {
        code: 'unsupported_media_type',
      }),
    );
  };
}
