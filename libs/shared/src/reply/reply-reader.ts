import type { RedisClient } from '../redis/redis-client.js';
import type { Logger } from 'pino';
import { sleep } from '../util/time.js';
import { decodeReply, type ReplyMessage } from './reply-message.js';
import type { ReplyInbox } from './local-replies.js';

type Listener = (message: ReplyMessage) => void;

/** The smallest stream id above `id` (`<ms>-<seq>`), for an XTRIM MINID that drops `id` too. */
export function idAfter(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms}-${BigInt(seq) + 1n}`;
}

/**
 * API side of the reply path: one blocking XREAD per API process on its own stream, fanned out
 * to the requests waiting in this process. Costs one connection whatever the number of keys.
 */
export class ReplyReader implements ReplyInbox {
  private readonly listeners = new Map<string, Listener>();
  private lastId = '0-0';
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(
    /** A connection of its own: XREAD BLOCK holds it. */
    private readonly blocking: RedisClient,
    /** Any shared connection, for trimming what was read. */
    private readonly redis: RedisClient,
    readonly stream: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Delivers every message for `requestId` to `listener` until the returned function is called. */
  listen(requestId: string, listener: Listener): () => void {
    this.listeners.set(requestId, listener);
    return () => this.listeners.delete(requestId);
  }

  get waiting(): number {
    return this.listeners.size;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const reply = (await this.blocking.xread('COUNT', 1000, 'BLOCK', 2000, 'STREAMS', this.stream, this.lastId));
        const entries = reply?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          this.lastId = id;
          this.dispatch(fields);
        }
        if (entries.length > 0) {
          // Everything up to lastId has been delivered: trim it all, the last entry included.
          this.redis.xtrim(this.stream, 'MINID', idAfter(this.lastId)).catch(() => undefined);
        }
      } catch (err) {
        if (this.closed) break;
        this.logger.warn({ err }, 'reply stream read failed; retrying');
        await sleep(250);
      }
    }
  }

  private dispatch(fields: string[]): void {
    let requestId: string | undefined;
    let raw: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'rid') requestId = fields[i + 1];
      else if (fields[i] === 'm') raw = fields[i + 1];
    }
    if (requestId === undefined || raw === undefined) return;
    if (!this.listeners.has(requestId)) return;
    this.deliver(requestId, decodeReply(raw));
  }

  /** Hands `message` to the request waiting for it, if it still waits (from the stream, or in memory: LocalReplies). */
  deliver(requestId: string, message: ReplyMessage): void {
    const listener = this.listeners.get(requestId);
    if (!listener) return;
    try {
      listener(message);
    } catch (err) {
      this.logger.error({ err, requestId }, 'reply listener failed');
    }
  }

  /** Stops reading; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.blocking.disconnect();
    await this.loop;
  }
}
