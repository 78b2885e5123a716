import { Agent, type Dispatcher } from 'undici';
import type { UpstreamBounds, UpstreamEndpoint } from '@ork/shared';

/** Upstream's answer grew past UPSTREAM_MAX_RESPONSE_BYTES; the call was aborted. */
export class UpstreamTooLargeError extends Error {
  override readonly name = 'UpstreamTooLargeError';
  constructor(readonly limit: number) {
    super(`OpenRouter's answer exceeded UPSTREAM_MAX_RESPONSE_BYTES (${limit} bytes); it was cut off.`);
  }
}

/** Which of our upstream deadlines an undici error is, if any. */
export function upstreamTimeoutOf(err: unknown, bounds: UpstreamBounds): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return `OpenRouter sent no response headers within UPSTREAM_HEADERS_TIMEOUT_MS (${bounds.headersTimeoutMs} ms).`;
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return `OpenRouter's answer stalled: nothing arrived for UPSTREAM_IDLE_TIMEOUT_MS (${bounds.idleTimeoutMs} ms).`;
  }
  return undefined;
}

export interface UpstreamRequest {
  endpoint: UpstreamEndpoint;
  /** The upstream key; used for the Authorization header and nowhere else. */
  secret: string;
  body: unknown;
  headers: Record<string, string>;
  stream: boolean;
  signal: AbortSignal;
  /** Called once the request has fully left this process (or failed before it could). */
  onSent: () => void;
}

export interface UpstreamResponse {
  status: number;
  contentType: string;
  /** The headers that matter for classification (x-ratelimit-*, retry-after) and x-generation-id, lower-cased. */
  headers: Record<string, string>;
  /** Empty when the body went to a ResponseSink instead. */
  body: string;
}

/** Receives a response body as it arrives instead of it being buffered. */
export interface ResponseSink {
  /** Called once with the status; return true to take the body chunk by chunk. */
  start(status: number, contentType: string): boolean;
  chunk(data: Buffer): void;
}

/** The legacy handler hook undici still calls but no longer types. */
interface SentAwareHandler extends Dispatcher.DispatchHandler {
  onRequestSent(): void;
}

/**
 * Test suite only (TEST_HOOKS): the header carrying when the worker handed a request to the
 * socket (wall-clock epoch ms, the clock Redis TIME reads), so the fake upstream can check the
 * spacing promise on departures instead of on its own, possibly late, arrival stamps.
 */
export const DEPARTED_AT_HEADER = 'x-ork-departed-at';

export interface UpstreamClientOptions {
  /** Stamp each request with DEPARTED_AT_HEADER; only with TEST_HOOKS. */
  stampDepartures?: boolean;
}

/** OpenRouter over a keep-alive pool; the only place an upstream key is put on the wire. */
export class UpstreamClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly stampDepartures: boolean;

  constructor(
    baseUrl: string,
    readonly bounds: UpstreamBounds,
    options: UpstreamClientOptions = {},
  ) {
    this.stampDepartures = options.stampDepartures ?? false;
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    // undici's bodyTimeout is the idle time between two body chunks, not the whole body.
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: bounds.headersTimeoutMs,
      bodyTimeout: bounds.idleTimeoutMs,
    });
  }

  send(req: UpstreamRequest, sink?: ResponseSink): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let status = 0;
      let contentType = 'application/json';
      const headers: Record<string, string> = {};
      let sent = false;
      let streaming = false;
      const markSent = (): void => {
        if (!sent) {
          sent = true;
          req.onSent();
        }
      };
      const onAbort = (): void => abortRequest?.(req.signal.reason as Error);
      let abortRequest: ((err?: Error) => void) | undefined;
      const done = (): void => req.signal.removeEventListener('abort', onAbort);

      const handler: SentAwareHandler = {
        onConnect: (abort) => {
          abortRequest = abort;
          if (req.signal.aborted) abort(req.signal.reason as Error);
        },
        onRequestSent: markSent,
        onHeaders: (statusCode, rawHeaders) => {
          markSent();
          status = statusCode;
          for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
            const name = rawHeaders[i]?.toString('latin1').toLowerCase() ?? '';
            const value = rawHeaders[i + 1]?.toString('latin1') ?? '';
            if (name === 'content-type') contentType = value;
            else if (name.startsWith('x-ratelimit-') || name === 'retry-after' || name === 'x-generation-id') headers[name] = value;
          }
          streaming = sink?.start(status, contentType) ?? false;
          return true;
        },
        onData: (chunk) => {
          received += chunk.length;
          if (received > this.bounds.maxResponseBytes) {
            abortRequest?.(new UpstreamTooLargeError(this.bounds.maxResponseBytes));
            return false;
          }
          if (streaming) sink?.chunk(chunk);
          else chunks.push(chunk);
          return true;
        },
        onComplete: () => {
          done();
          resolve({ status, contentType, headers, body: Buffer.concat(chunks).toString('utf8') });
        },
        onError: (err) => {
          markSent();
          done();
          reject(err);
        },
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      this.agent.dispatch(
        {
          origin: this.origin,
          path: `${this.basePath}/${req.endpoint}`,
          method: 'POST',
          headers: {
            ...req.headers,
            authorization: `Bearer ${req.secret}`,
            'content-type': 'application/json',
            accept: req.stream ? 'text/event-stream' : 'application/json',
            // Taken last, after the grant: no later than the request really leaves.
            ...(this.stampDepartures ? { [DEPARTED_AT_HEADER]: String(Date.now()) } : {}),
          },
          body: JSON.stringify(req.body),
        },
        handler,
      );
    });
  }

  /** `GET /key`: whether OpenRouter accepts the key now, and its credit state. Spends no request quota. */
  probeKey(secret: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    return this.getWithKey('key', secret, signal);
  }

  /** A read-only GET with a key (`key`, `generation?id=…`); spends no request quota. */
  async getWithKey(pathAndQuery: string, secret: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    const res = await this.agent.request({
      origin: this.origin,
      path: `${this.basePath}/${pathAndQuery}`,
      method: 'GET',
      headers: { authorization: `Bearer ${secret}`, accept: 'application/json' },
      signal,
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
