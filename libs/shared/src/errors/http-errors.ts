/** OpenAI's error `type` values that we use. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'service_unavailable'
  | 'timeout_error';

export interface HttpErrorOptions {
  code?: string | null;
  param?: string | null;
  cause?: unknown;
  headers?: Record<string, string>;
}

/** An error that maps onto one HTTP status and OpenAI's error shape. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly type: OpenAIErrorType,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  override readonly name = 'BadRequestError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(400, 'invalid_request_error', message, { code: 'invalid_request', ...options });
  }
}

export class AuthenticationError extends HttpError {
  override readonly name = 'AuthenticationError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(401, 'authentication_error', message, { code: 'invalid_api_key', ...options });
  }
}

export class ForbiddenError extends HttpError {
  override readonly name = 'ForbiddenError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(403, 'permission_error', message, { code: 'forbidden', ...options });
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(404, 'not_found_error', message, { code: 'not_found', ...options });
  }
}

export class PayloadTooLargeError extends HttpError {
  override readonly name = 'PayloadTooLargeError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(413, 'invalid_request_error', message, { code: 'request_too_large', ...options });
  }
}

/** Longer waits than this tell SDKs not to retry by themselves (they would sleep it out, for hours). */
const LONGEST_SDK_RETRY_MS = 60_000;

/**
 * 429 with both retry headers the OpenAI SDKs honour; for a long wait (a day's quota used up)
 * also `x-should-retry: false`, so an SDK reports it at once instead of sleeping until it passes.
 */
export class RateLimitedError extends HttpError {
  override readonly name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options: HttpErrorOptions = {},
  ) {
    const ms = Math.max(0, Math.ceil(retryAfterMs));
    super(429, 'rate_limit_error', message, {
      code: 'rate_limit_exceeded',
      ...options,
      headers: {
        'retry-after': String(Math.ceil(ms / 1000)),
        'retry-after-ms': String(ms),
        ...(ms > LONGEST_SDK_RETRY_MS ? { 'x-should-retry': 'false' } : {}),
        ...options.headers,
      },
    });
  }
}

export class ServiceUnavailableError extends HttpError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(503, 'service_unavailable', message, { code: 'service_unavailable', ...options });
  }
}

/** Every upstream key is invalid or out of credits (401/402 from OpenRouter): waiting for midnight would not help. */
export class NoUsableKeyError extends HttpError {
  override readonly name = 'NoUsableKeyError';
  constructor(keyCount: number) {
    super(
      503,
      'service_unavailable',
      `No usable OpenRouter key: OpenRouter refused all ${keyCount} (invalid or out of credits). ` +
        'They are checked again every minute; fix or top up the keys in OPENROUTER_API_KEYS.',
      { code: 'no_usable_key' },
    );
  }
}

export class GatewayTimeoutError extends HttpError {
  override readonly name = 'GatewayTimeoutError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(504, 'timeout_error', message, { code: 'queue_timeout', ...options });
  }
}

export class BadGatewayError extends HttpError {
  override readonly name = 'BadGatewayError';
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(502, 'server_error', message, { code: 'upstream_error', ...options });
  }
}
