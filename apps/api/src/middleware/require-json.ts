import type { RequestHandler } from 'express';
import { HttpError } from '@ork/shared';

/** Bodies of these methods must be JSON; anything else is refused before parsing. */
export function requireJson(methods: readonly string[] = ['POST']): RequestHandler {
  return (req, _res, next) => {
    if (!methods.includes(req.method)) return next();
    if (req.is(['application/json', '+json'])) return next();
    next(
      new HttpError(415, 'invalid_request_error', 'Content-Type must be application/json.', {
        code: 'unsupported_media_type',
      }),
    );
  };
}
