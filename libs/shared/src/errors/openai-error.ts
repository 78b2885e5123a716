import { HttpError } from './http-errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | number | null; param: string | null };
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: OpenAIErrorBody;
}

/** Turns any thrown value into OpenAI's error shape; unknown errors become a 500 without internals. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      headers: err.headers,
      body: { error: { message: err.message, type: err.type, code: err.code, param: err.param } },
    };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { message: 'Internal server error', type: 'server_error', code: 'internal_error', param: null } },
  };
}
