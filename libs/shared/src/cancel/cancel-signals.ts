import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';

/** A cancel mark outlives any wait a request can have in a queue. */
const CANCEL_TTL_MS = 24 * 3_600_000;

/**
 * Marks a request as cancelled (read atomically by acquire.lua before any start) and tells the
 * workers, so one already running aborts its upstream call.
 */
export async function cancelRequest(redis: RedisClient, keys: RedisKeys, requestId: string): Promise<void> {
  await redis.multi().set(keys.cancel(requestId), '1', 'PX', CANCEL_TTL_MS).publish(keys.cancelChannel(), requestId).exec();
}

/** Worker side: one subscriber connection per process, mapping request ids to their AbortControllers. */
export class CancelListener {
  private readonly controllers = new Map<string, AbortController>();

  constructor(
    private readonly subscriber: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    subscriber.on('message', (_channel: string, requestId: string) => {
      this.controllers.get(requestId)?.abort(new Error('cancelled by the client'));
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.keys.cancelChannel());
  }

  /**
   * An AbortSignal that fires when the request is cancelled, or after `timeoutMs` (as
   * AbortSignal.timeout() would, with a TimeoutError); call `release` when done with it.
   * One controller and one timer: AbortSignal.any() over AbortSignal.timeout() cost two more
   * signals and their weak references on every job.
   */
  track(requestId: string, timeoutMs?: number): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    this.controllers.set(requestId, controller);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    timer?.unref();
    return {
      signal: controller.signal,
      release: () => {
        clearTimeout(timer);
        this.controllers.delete(requestId);
      },
    };
  }

  close(): void {
    for (const c of this.controllers.values()) c.abort(new Error('worker shutting down'));
    this.subscriber.disconnect();
  }
}
