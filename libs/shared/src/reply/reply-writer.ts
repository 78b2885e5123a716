import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import { encodeReply, type ReplyMessage } from './reply-message.js';

/** Bound on an unread reply stream (an API process that died); entries are small summaries or bodies. */
const REPLY_STREAM_MAX = 50_000;
/** A reply stream nobody reads vanishes after this. */
const REPLY_STREAM_TTL_MS = 3_600_000;

/** Worker side of the reply path: appends to the waiting API process's own stream. */
export class ReplyWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async send(replyTo: string, requestId: string, message: ReplyMessage): Promise<void> {
    const stream = this.keys.replies(replyTo);
    const tx = this.redis
      .multi()
      .xadd(stream, 'MAXLEN', '~', REPLY_STREAM_MAX, '*', 'rid', requestId, 'm', encodeReply(message))
      .pexpire(stream, REPLY_STREAM_TTL_MS);
    // Remembered so a re-run of the job (its worker died mid-stream) does not stream it twice.
    if (message.type === 'stream-start') tx.set(this.keys.streamStarted(requestId), '1', 'PX', REPLY_STREAM_TTL_MS);
    await tx.exec();
  }

  /** True when some worker already began streaming this request's answer to its client. */
  async streamStarted(requestId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.streamStarted(requestId))) === 1;
  }
}
