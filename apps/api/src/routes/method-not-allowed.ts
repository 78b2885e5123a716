import type { RequestHandler } from 'express';
import { HttpError } from '@ork/shared';

export function methodNotAllowed(allow: string): RequestHandler {
  return (req, res, next) => {
    res.setHeader('allow', allow);
    next(
      new HttpError(405, 'invalid_request_error', `${req.method} is not allowed here; use ${allow}.`, {
        code: 'method_not_allowed',
      }),
    );
  };
}
