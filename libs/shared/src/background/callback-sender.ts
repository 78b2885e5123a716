import { createHmac } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client.js';
import type { Logger } from 'pino';
import type { BackgroundBacklog } from './background-backlog.js';
import { asyncJobView } from './async-job-view.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body under CALLBACK_SECRET>`. */
export const CALLBACK_SIGNATURE_HEADER = 'x-signature-256';
/** A receiver that takes longer than this counts as failed. */
const CALLBACK_TIMEOUT_MS = 10_000;
const PER_TICK = 20;

export function signCallback(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export interface CallbackOptions {
  redis: RedisClient;
  backlog: BackgroundBacklog;
  secret: string;
  retryBaseMs: number;
  maxAttempts: number;
  logger: Logger;
  tickMs: number;
}

/**
 * Delivers finished async jobs to their `callback_url`: a POST of the job (as GET shows it), signed,
 * tried again with doubling delays until a 2xx or CALLBACK_MAX_ATTEMPTS. Due deliveries sit in a
 * zset any worker process may take from; ZREM decides which one does.
 */
export class CallbackSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closed = false;

  constructor(private readonly o: CallbackOptions) {}

  async schedule(itemId: string, delayMs: number): Promise<void> {
    const k = this.o.backlog.keys;
    await this.o.redis.multi().hset(k.backgroundItem(itemId), 'callbackStatus', 'pending').zadd(k.callbacksDue(), Date.now() + delayMs, itemId).exec();
  }

  start(): void {
    const loop = (): void => {
      if (this.closed) return;
      this.running = this.tick()
        .catch((err: unknown) => this.o.logger.warn({ err }, 'callback delivery failed; next tick'))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(loop, this.o.tickMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  private async tick(): Promise<void> {
    const { redis, backlog } = this.o;
    const due = await redis.zrangebyscore(backlog.keys.callbacksDue(), '-inf', Date.now(), 'LIMIT', 0, PER_TICK);
    await Promise.all(
      due.map(async (itemId) => {
        if ((await redis.zrem(backlog.keys.callbacksDue(), itemId)) !== 1) return;
        await this.deliver(itemId);
      }),
    );
  }

  private async deliver(itemId: string): Promise<void> {
    const { redis, backlog } = this.o;
    const item = await backlog.item(itemId);
    if (item?.callbackUrl === undefined) return;
    const attempts = (item.callbackAttempts ?? 0) + 1;
    const view = asyncJobView({ ...item, callbackAttempts: attempts, callbackStatus: 'pending' });
    const raw = JSON.stringify(view);
    let ok = false;
    let status: number | string = 'network error';
    try {
      const res = await fetch(item.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signCallback(this.o.secret, raw), 'x-job-id': item.id },
        body: raw,
        redirect: 'manual',
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
      await res.body?.cancel();
      status = res.status;
      ok = res.status >= 200 && res.status < 300;
    } catch {
      // Unreachable or too slow: tried again below.
    }
    const key = backlog.keys.backgroundItem(itemId);
    if (ok) {
      await redis.hset(key, { callbackStatus: 'delivered', callbackAttempts: String(attempts) });
      return;
    }
    if (attempts >= this.o.maxAttempts) {
      this.o.logger.warn({ itemId, attempts, status }, 'callback not accepted; giving up');
      await redis.hset(key, { callbackStatus: 'gave-up', callbackAttempts: String(attempts) });
      return;
    }
    await redis.hset(key, 'callbackAttempts', String(attempts));
    await this.schedule(itemId, this.o.retryBaseMs * 2 ** (attempts - 1));
  }

  /** Stops and waits for deliveries under way; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
