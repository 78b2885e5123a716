import type { Response } from 'express';
import type { ReplyMessage } from '@ork/shared';
import type { QueuedTicket } from '../gateway/gateway.js';

/** The response headers that tell a client about its time in the queue. */
export const QUEUE_HEADERS = {
  /** Time from acceptance to the upstream start, in ms. */
  wait: 'x-queue-wait-ms',
  /** The router's estimate of that time when the request was accepted (or refused), in ms. */
  estimate: 'x-queue-estimate-ms',
  /** Test suite only (TEST_HOOKS): the acceptance time, epoch ms, to check estimates against departures. */
  acceptedAt: 'x-ork-accepted-at',
} as const;

/** Before any byte goes out: the router's estimate, and under TEST_HOOKS the acceptance time. */
export function noteQueued(res: Response, ticket: QueuedTicket, testHooks: boolean): void {
  if (res.headersSent) return;
  res.setHeader(QUEUE_HEADERS.estimate, String(Math.round(ticket.estimatedWaitMs)));
  if (testHooks) res.setHeader(QUEUE_HEADERS.acceptedAt, String(ticket.acceptedAt));
}

/**
 * The worker's measured queue wait, as a header while the headers are still ours to set: on a
 * JSON answer always, on a stream unless queue comments already started it (the SSE responder
 * then sends the wait as a comment before upstream's first byte).
 */
export function noteQueueWait(res: Response, message: ReplyMessage): void {
  if (message.type !== 'response' && message.type !== 'stream-start') return;
  if (message.queueWaitMs === undefined || res.headersSent) return;
  res.setHeader(QUEUE_HEADERS.wait, String(Math.round(message.queueWaitMs)));
}
