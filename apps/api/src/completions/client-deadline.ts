import { BadRequestError } from '@ork/shared';

/** Where a request's deadline came from, named in refusals and timeouts. */
export type DeadlineSource = 'X-Queue-Timeout' | 'X-Stainless-Timeout' | 'X-Stainless-Read-Timeout' | 'QUEUE_TIMEOUT_MS';

export interface ClientDeadline {
  /** How long the client waits for the whole answer (queue + upstream), at most QUEUE_TIMEOUT_MS. */
  timeoutMs: number;
  source: DeadlineSource;
  /** Longest estimated queue wait admitted: the timeout less UPSTREAM_ALLOWANCE_MS for the upstream call. */
  maxWaitMs: number;
  /**
   * QUEUE_TIMEOUT_MS. A stream's client deadline bounds only its start: the SDKs' timeouts end
   * once the response headers arrive, so a stream under way may run on to this.
   */
  ceilingMs: number;
}

/**
 * Time kept for the upstream call itself when deciding whether a request can start in time:
 * a free model's first token usually comes within a second or two. Never more than a quarter
 * of a short timeout, so a client with 2 s still gets a request that can start at once.
 */
export const UPSTREAM_ALLOWANCE_MS = 2_000;

const MAX_HEADER_LENGTH = 16;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds as the SDKs send them; anything unreadable is ignored (the client did not ask us for it). */
function sdkSeconds(value: string | undefined): number | undefined {
  if (value === undefined || value.length > MAX_HEADER_LENGTH || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/**
 * The deadline of one synchronous request: `X-Queue-Timeout` (ms, the client's explicit choice,
 * so a bad value is a 400), else the openai SDKs' own timeout (`X-Stainless-Timeout` from
 * openai-node, whole seconds truncated; `X-Stainless-Read-Timeout` from openai-python, seconds),
 * else QUEUE_TIMEOUT_MS; never longer than QUEUE_TIMEOUT_MS.
 */
export function clientDeadline(headers: Record<string, string | string[] | undefined>, queueTimeoutMs: number): ClientDeadline {
  const explicit = header(headers, 'x-queue-timeout');
  let timeoutMs = queueTimeoutMs;
  let source: DeadlineSource = 'QUEUE_TIMEOUT_MS';
  if (explicit !== undefined) {
    const trimmed = explicit.trim();
    if (!/^\d{1,12}$/.test(trimmed) || Number(trimmed) === 0) {
      throw new BadRequestError('X-Queue-Timeout must be a positive whole number of milliseconds, e.g. "30000".', {
        param: 'X-Queue-Timeout',
        code: 'invalid_queue_timeout',
      });
    }
    timeoutMs = Number(trimmed);
    source = 'X-Queue-Timeout';
  } else {
    const node = sdkSeconds(header(headers, 'x-stainless-timeout'));
    const python = sdkSeconds(header(headers, 'x-stainless-read-timeout'));
    if (node !== undefined) {
      // openai-node truncates to whole seconds: "0" is a timeout under one second.
      timeoutMs = Math.max(node, 1000);
      source = 'X-Stainless-Timeout';
    } else if (python !== undefined && python > 0) {
      timeoutMs = python;
      source = 'X-Stainless-Read-Timeout';
    }
  }
  if (timeoutMs >= queueTimeoutMs) {
    timeoutMs = queueTimeoutMs;
    source = 'QUEUE_TIMEOUT_MS';
  }
  const allowance = Math.min(UPSTREAM_ALLOWANCE_MS, Math.floor(timeoutMs / 4));
  return { timeoutMs, source, maxWaitMs: timeoutMs - allowance, ceilingMs: queueTimeoutMs };
}
