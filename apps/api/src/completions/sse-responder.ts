import type { Response } from 'express';
import { streamErrorEvent, toErrorResponse, type ReplyMessage, type SseDialect, type StreamErrorBody, type TokenUsage } from '@ork/shared';
import type { QueuedTicket } from '../gateway/gateway.js';
import type { Responder } from './responder.js';
import { replyError } from './reply-error.js';
import type { StoredResponse } from './idempotency.js';

/** Quiet this long before the first queue comment: a quick error can still be a plain JSON answer. */
const FIRST_COMMENT_MS = 500;
const COMMENT_EVERY_MS = 5_000;

/**
 * A streamed request: upstream's SSE relayed as it arrives. While the request waits in its
 * queue the client gets comment lines with its position, so proxies keep the connection open.
 */
export class SseResponder implements Responder {
  started = false;
  usage: TokenUsage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private streaming = false;
  /** Upstream's events as relayed (queue comments left out), for idempotent replays. */
  private relayed = '';
  private complete: StoredResponse | undefined;

  constructor(
    private readonly res: Response,
    /** How this endpoint frames its events, so a late error looks like the endpoint's own. */
    private readonly dialect: SseDialect = 'chat',
  ) {}

  onQueued(ticket: QueuedTicket): void {
    const since = Date.now();
    const comment = async (): Promise<void> => {
      if (this.streaming || this.res.writableEnded) return;
      const position = await ticket.position().catch(() => 0);
      if (this.streaming || this.res.writableEnded) return;
      // Started upstream: stay silent, so an error status can still go out as a plain JSON answer.
      if (position === 0 && !this.started) {
        this.timer = setTimeout(() => void comment(), COMMENT_EVERY_MS);
        return;
      }
      const wait = Math.max(0, ticket.estimatedWaitMs - (Date.now() - since));
      this.begin(200);
      this.res.write(`: queued position=${position} estimated_wait_ms=${wait}\n\n`);
      this.timer = setTimeout(() => void comment(), COMMENT_EVERY_MS);
    };
    this.timer = setTimeout(() => void comment(), FIRST_COMMENT_MS);
  }

  onMessage(message: ReplyMessage): void {
    switch (message.type) {
      case 'stream-start':
        this.streaming = true;
        // Queue comments already sent the headers: the measured wait (X-Queue-Wait-Ms) goes as a comment instead.
        if (this.started && message.queueWaitMs !== undefined) this.res.write(`: queue_wait_ms=${Math.round(message.queueWaitMs)}\n\n`);
        this.begin(message.status);
        if (message.data !== undefined) this.relay(message.data);
        return;
      case 'chunk':
        this.relay(message.data);
        return;
      case 'stream-end':
        if (message.data !== undefined) this.relay(message.data);
        this.usage = message.usage;
        this.complete = { status: 200, contentType: 'text/event-stream; charset=utf-8', body: this.relayed };
        this.res.end();
        return;
      case 'response':
        this.streaming = true;
        this.usage = message.usage;
        if (!this.started) {
          this.started = true;
          this.complete = { status: message.status, contentType: message.contentType, body: message.body };
          this.res.status(message.status).type(message.contentType).send(message.body);
        } else {
          this.endWithError(upstreamError(message.body, message.status));
        }
        return;
      case 'error':
        if (!this.started) throw replyError(message);
        this.endWithError(toErrorResponse(replyError(message)).body.error);
        return;
    }
  }

  delivered(): StoredResponse | undefined {
    return this.complete;
  }

  fail(err: unknown): void {
    this.endWithError(toErrorResponse(err).body.error);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private relay(data: string): void {
    this.relayed += data;
    this.res.write(data);
  }

  private begin(status: number): void {
    if (this.started) return;
    this.started = true;
    this.res.status(status);
    this.res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('cache-control', 'no-cache');
    this.res.setHeader('x-accel-buffering', 'no');
    this.res.flushHeaders();
  }

  /** OpenRouter's way of failing after the 200: an error chunk (or Responses `error` event), then the end. */
  private endWithError(error: StreamErrorBody): void {
    clearTimeout(this.timer);
    if (this.res.writableEnded) return;
    this.res.write(streamErrorEvent(this.dialect, error));
    this.res.end();
  }
}

function upstreamError(body: string, status: number): StreamErrorBody {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (parsed.error) {
      const message = typeof parsed.error.message === 'string' ? parsed.error.message : `OpenRouter answered ${status}`;
      return { code: status, ...parsed.error, message };
    }
  } catch {
    // Not JSON: fall through.
  }
  return { code: status, message: `OpenRouter answered ${status}` };
}
