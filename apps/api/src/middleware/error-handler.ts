import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  BadRequestError,
  HttpError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  toErrorResponse,
} from '@ork/shared';
import type { Logger } from 'pino';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

/** Body-parser failures are the client's fault: give them their 4xx. */
function fromBodyParser(err: unknown): HttpError | undefined {
  const { type, limit, status, expose, message } = (err ?? {}) as BodyParserError;
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(`The request body is larger than the limit of ${limit ?? 'MAX_BODY_BYTES'} bytes.`);
    case 'entity.parse.failed':
      return new BadRequestError('The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'invalid_request_error', 'Unsupported body encoding; send UTF-8 JSON.', {
        code: 'unsupported_media_type',
      });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
    case 'parameters.too.many':
      return new BadRequestError('The request body could not be read.');
    case undefined:
    default:
      // Anything else the body reader marks as the client's fault (e.g. a body that is not the gzip it claims).
      if (expose === true && status !== undefined && status >= 400 && status < 500) {
        return new HttpError(status, 'invalid_request_error', `The request body could not be read: ${message ?? 'bad body'}`, {
          code: 'invalid_body',
        });
      }
      return undefined;
  }
}

/** The router could not decode a route parameter (`/v1/models/%ff`): the client's URL is broken. */
function fromBadEscape(err: unknown): HttpError | undefined {
  if (!(err instanceof URIError)) return undefined;
  return new BadRequestError('The URL holds a malformed %-escape.', { code: 'invalid_url' });
}

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(new NotFoundError(`Unknown route: ${req.method} ${req.path}`));
  };
}

/**
 * The one place that turns errors into OpenAI-shaped responses. `redisDown` turns any
 * unexpected failure while Redis is away into a 503 rather than a 500.
 */
export function errorHandler(logger: Logger, redisDown: () => boolean): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let mapped = err instanceof HttpError ? err : (fromBodyParser(err) ?? fromBadEscape(err) ?? err);
    if (!(mapped instanceof HttpError) && redisDown()) {
      mapped = new ServiceUnavailableError('Redis is unreachable; try again shortly.', { cause: err });
    }
    const { status, headers, body } = toErrorResponse(mapped);
    // For the request metrics: why the gateway refused (e.g. daily_limit_reached).
    if (typeof body.error.code === 'string') res.locals.errorCode = body.error.code;
    if (status >= 500 && status !== 503 && status !== 504) {
      (req.log ?? logger).error({ err }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).set(headers).json(body);
  };
}
