import { ENDPOINTS, type UpstreamEndpoint } from '@ork/shared';
import { cooldownUntil, exhaustedUntil, learnDayLimit, type LearnedDayLimit } from '@ork/shared';

/**
 * What an upstream answer means for the request and for the key that sent it.
 * Bodies follow OpenRouter's (see FACTS.md): its own 429s carry `metadata.headers` with
 * X-RateLimit-*, a provider's 429 does not.
 */
export type Verdict =
  | { kind: 'deliver' }
  | { kind: 'key-cooldown'; untilMs: number }
  /** `learned`: the day limit upstream reported, validated (learnDayLimit) against the configured one. */
  | { kind: 'key-exhausted'; untilMs: number; learned: LearnedDayLimit | undefined }
  | { kind: 'key-disabled'; reason: 'invalid' | 'no-credits' }
  | { kind: 'retry'; reason: 'provider-rate-limited' | 'upstream-error' | 'error-in-200' };

export interface UpstreamAnswer {
  status: number;
  /** Lower-cased response headers. */
  headers: Record<string, string>;
  body: string;
  /** True when the body was relayed as a stream and cannot be retried any more. */
  streamed: boolean;
  /** Which endpoint answered: decides where a 200's result must be. Default chat/completions. */
  endpoint?: UpstreamEndpoint;
}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown; metadata?: { headers?: Record<string, unknown>; limit_source?: unknown } } | null;
  /** The Responses API's `failed` / `incomplete`. */
  status?: unknown;
  choices?: unknown;
  output?: unknown;
  data?: unknown;
}

function parse(body: string): ErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed) : undefined;
  } catch {
    return undefined;
  }
}

/** X-RateLimit-* from the body's metadata, else from real response headers; raw (learned-limits.ts validates). */
function rateLimitHeader(answer: UpstreamAnswer, parsed: ErrorBody | undefined, name: string): unknown {
  const fromBody = parsed?.error?.metadata?.headers;
  return fromBody?.[name] ?? fromBody?.[name.toLowerCase()] ?? answer.headers[name.toLowerCase()];
}

/** `configuredPerDay`: KEY_REQUESTS_PER_DAY, the ceiling a learned day limit must stay under. */
export function classifyResponse(answer: UpstreamAnswer, now = Date.now(), configuredPerDay = 0): Verdict {
  if (answer.streamed) return { kind: 'deliver' };
  const parsed = answer.status === 200 || answer.status >= 400 ? parse(answer.body) : undefined;
  const { status } = answer;

  if (status === 429) {
    const reset = rateLimitHeader(answer, parsed, 'X-RateLimit-Reset');
    const fromOpenRouter = parsed?.error?.metadata?.headers !== undefined || answer.headers['x-ratelimit-limit'] !== undefined;
    if (!fromOpenRouter) return { kind: 'retry', reason: 'provider-rate-limited' };
    const message = typeof parsed?.error?.message === 'string' ? parsed.error.message : '';
    if (/per-day/i.test(message)) {
      const learned = learnDayLimit(rateLimitHeader(answer, parsed, 'X-RateLimit-Limit'), configuredPerDay, now);
      return { kind: 'key-exhausted', untilMs: exhaustedUntil(reset, now), learned };
    }
    return { kind: 'key-cooldown', untilMs: cooldownUntil(reset, now) };
  }
  if (status === 401) return { kind: 'key-disabled', reason: 'invalid' };
  if (status === 402) {
    // A transient in-flight budget (with Retry-After) is not the key's credit running out.
    if (parsed?.error?.metadata?.limit_source === 'openrouter_in_flight_budget') return { kind: 'retry', reason: 'upstream-error' };
    return { kind: 'key-disabled', reason: 'no-credits' };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', reason: 'upstream-error' };
  if (status === 200) {
    const result = parsed?.[ENDPOINTS[answer.endpoint ?? 'chat/completions'].resultField];
    const failed = (parsed?.error !== undefined && parsed.error !== null) || parsed?.status === 'failed';
    if (failed || !Array.isArray(result) || result.length === 0) return { kind: 'retry', reason: 'error-in-200' };
  }
  // 2xx, and the client's own problems (400, 403 moderation, 404, 413, 422): as they are.
  return { kind: 'deliver' };
}
