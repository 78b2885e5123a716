import type { Redis } from 'ioredis';
import type { RedisKeys } from '../limits/redis-keys.js';
import { encodeReply, type ReplyMessage } from './reply-message.js';

/** Bound on an unread reply stream (an API process that died); entries are small summaries or bodies. */
const REPLY_STREAM_MAX = 50_000;
/** A reply stream nobody reads vanishes after this. */
const REPLY_STREAM_TTL_MS = 3_600_000;

/** Worker side of the reply path: appends to the waiting API process's own stream. */
export class ReplyWriter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async send(replyTo: string, requestId: string, message: ReplyMessage): Promise<void> {
    const stream = this.keys.replies(replyTo);
    await this.redis
      .multi()
      .xadd(stream, 'MAXLEN', '~', REPLY_STREAM_MAX, '*', 'rid', requestId, 'm', encodeReply(message))
      .pexpire(stream, REPLY_STREAM_TTL_MS)
      .exec();
  }
}
