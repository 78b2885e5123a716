import type { RedisClient } from '@ork/shared';
import { HEARTBEAT_INTERVAL_MS, RedisKeys } from '@ork/shared';
import type { RemoteSimulator } from '@ork/simulator';

export const DAY_MS = 86_400_000;

/** The next 00:00 UTC after `ms` (epoch ms). */
export function nextMidnight(ms: number): number {
  return (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
}

/** The UTC day number the limit scripts use for `ms` (`:day:<n>` hashes). */
export function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/**
 * The clock a test controls, so a burst can cross 00:00 UTC in seconds.
 *
 * It is an offset added to Redis TIME by the limit scripts (lua/test-clock.lua) and to every
 * time the fake upstream reads (its `clockOffsetMs`), so the gateway and the fake agree on
 * "now". Time keeps flowing at the real rate; only the offset is the test's.
 *
 * Why production cannot run on it: the scripts read the offset only when they were compiled
 * with lua/test-clock.lua, which lua-script.ts does only for Redis clients passed to
 * useTestClock(); the API and the worker call that only with TEST_HOOKS=true, and the config
 * refuses TEST_HOOKS unless NODE_ENV=test. Without both variables no value in Redis moves any
 * clock (test/e2e/test-clock.test.ts checks that), and startStack() sets both.
 *
 * Set it before traffic, not during: TTLs in Redis (BullMQ's limiter hold, reservations) and
 * timers in the processes keep real time, so a jump while a key is held back is not honoured
 * until the hold's real length has passed. What TS reads with Date.now() does not move either:
 * the queue deadline (QUEUE_TIMEOUT_MS), the cooldown that upstream's reset headers set, and the
 * UTC day under which usage (succeeded, tokens) is recorded.
 */
export class TestClock {
  private offsetMs = 0;
  private readonly offsetRedisKey: string;
  private readonly heartbeatPattern: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly sim: RemoteSimulator,
  ) {
    const names = new RedisKeys(prefix);
    this.offsetRedisKey = names.testClockOffset();
    this.heartbeatPattern = names.apiHeartbeat('*');
  }

  /** "Now" on the test clock, as the scripts and the fake see it (give or take a millisecond). */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves both clocks so that now() reads `atMs`; resolves once both hold the new offset. */
  async setNow(atMs: number): Promise<void> {
    await this.setOffset(Math.round(atMs - Date.now()));
  }

  /** Puts the clock `ms` before the next 00:00 UTC (of the real day). */
  async setBeforeMidnight(ms: number): Promise<number> {
    const midnight = nextMidnight(Date.now());
    await this.setNow(midnight - ms);
    return midnight;
  }

  async setOffset(offsetMs: number): Promise<void> {
    this.offsetMs = offsetMs;
    await this.sim.configure({ clockOffsetMs: offsetMs });
    await this.redis.set(this.offsetRedisKey, String(offsetMs));
    await this.heartbeatsOnNewClock();
  }

  /**
   * A jump forward makes every API process's last heartbeat (stamped on the scripts' clock) look
   * stale, and acquire.lua drops a stale process's jobs as orphans; each process beats again within
   * HEARTBEAT_INTERVAL_MS, so wait for that before the test sends traffic.
   */
  private async heartbeatsOnNewClock(): Promise<void> {
    const since = this.now() - 50;
    const deadline = Date.now() + 10 * HEARTBEAT_INTERVAL_MS;
    for (;;) {
      const keys = await this.redis.keys(this.heartbeatPattern);
      const beats = keys.length === 0 ? [] : await this.redis.mget(...keys);
      if (beats.every((b) => Number(b) >= since)) return;
      if (Date.now() > deadline) throw new Error('API processes did not beat on the test clock');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Back to real time (offset 0). */
  async reset(): Promise<void> {
    await this.setOffset(0);
  }
}
