import type { Response } from 'express';
import type { ReplyMessage } from '@ork/shared';

/** What the request log line says about the upstream side of a request. */
export interface UpstreamLogFacts {
  upstreamKeyId?: string;
  upstreamStatus?: number;
  queueWaitMs?: number;
}

/** Keeps the worker's facts (serving key id, its status, queue wait) in `res.locals.upstream` for the log line. */
export function noteUpstream(res: Response, message: ReplyMessage): void {
  if (message.type !== 'response' && message.type !== 'stream-start') return;
  const facts: UpstreamLogFacts = { upstreamKeyId: message.keyId, upstreamStatus: message.status, queueWaitMs: message.queueWaitMs };
  res.locals.upstream = facts;
}
