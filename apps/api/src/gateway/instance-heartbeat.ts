import type { RedisClient } from '@ork/shared';
import type { Logger } from 'pino';
import { HEARTBEAT_INTERVAL_MS, beat } from '@ork/shared';

/**
 * This API process's heartbeat: workers drop the queued jobs of a process that stopped beating
 * (killed, crashed), and a beat that vanished tells us Redis lost its data, and with it every job
 * this process waits for (`onDataLost`).
 */
export class InstanceHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beaten = false;
  private closed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly heartbeatKey: string,
    private readonly onDataLost: () => void,
    private readonly logger: Logger,
  ) {}

  /** Beats once (jobs are watched only once the first beat is in), then every HEARTBEAT_INTERVAL_MS. */
  async start(): Promise<void> {
    await this.beatOnce();
    this.timer = setInterval(() => void this.beatOnce(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  private async beatOnce(): Promise<void> {
    try {
      const hadBeat = await beat(this.redis, this.heartbeatKey);
      if (this.beaten && !hadBeat && !this.closed) {
        this.logger.error('Redis lost this process’s heartbeat (restarted without persistence?): the requests waiting here are gone');
        this.onDataLost();
      }
      this.beaten = true;
    } catch {
      // Redis away: the request path reports that; beat again next time.
    }
  }

  /** Stops beating and removes the beat (a closed process has answered all it waited for). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.redis.del(this.heartbeatKey).catch(() => undefined);
  }
}
