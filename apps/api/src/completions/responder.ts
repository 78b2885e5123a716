import type { ReplyMessage, TokenUsage } from '@ork/shared';
import type { QueuedTicket } from '../gateway/gateway.js';
import type { StoredResponse } from './idempotency.js';

/** Turns the worker's reply messages into the HTTP response, plain JSON or SSE. */
export interface Responder {
  /** True once bytes have gone to the client: later errors can no longer change the status. */
  readonly started: boolean;
  readonly usage: TokenUsage | undefined;
  onQueued(ticket: QueuedTicket): void;
  onMessage(message: ReplyMessage): void;
  /** What the client received, once upstream's answer has been delivered completely. */
  delivered(): StoredResponse | undefined;
  /** Reports a failure after `started`; before that, errors go to the error handler. */
  fail(err: unknown): void;
  dispose(): void;
}
