import type { Response } from 'express';
import type { ReplyMessage, TokenUsage } from '@ork/shared';
import type { Responder } from './responder.js';
import type { StoredResponse } from './idempotency.js';
import { replyError } from './reply-error.js';

/** A plain request: upstream's status and body, unchanged. */
export class JsonResponder implements Responder {
  started = false;
  usage: TokenUsage | undefined;
  private sent: StoredResponse | undefined;

  constructor(private readonly res: Response) {}

  onQueued(): void {}

  onMessage(message: ReplyMessage): void {
    if (message.type === 'error') throw replyError(message);
    if (message.type !== 'response') return;
    this.usage = message.usage;
    this.started = true;
    this.sent = { status: message.status, contentType: message.contentType, body: message.body };
    this.res.status(message.status).type(message.contentType).send(message.body);
  }

  delivered(): StoredResponse | undefined {
    return this.sent;
  }

  fail(): void {
    this.res.end();
  }

  dispose(): void {}
}
