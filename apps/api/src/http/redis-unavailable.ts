import { HttpError, ServiceUnavailableError } from '@ork/shared';

/**
 * Runs a Redis-backed step of a request; any failure that is not already one of our HTTP errors
 * means Redis is away (API-side commands fail fast), so the client gets a 503 saying `what` is unavailable.
 */
export async function orRedisUnavailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new ServiceUnavailableError(`Redis is unreachable; ${what}.`, { cause: err });
  }
}
