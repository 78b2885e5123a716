import type { RedisClient } from '@ork/shared';
import type { Logger } from 'pino';
import { LOCK_DURATION_MS, STALLED_INTERVAL_MS } from './worker-options.js';

/** What the check needs of a key queue's BullMQ Worker: its backend runs BullMQ's own stalled-jobs script. */
export interface StalledCheckable {
  backend: { moveStalledJobsToWait(): Promise<string[]> };
}

export interface StalledCheckOptions {
  redis: RedisClient;
  /** RedisKeys.keyQueuesWithActiveJobs(): key ids scored by when a worker last held an active job there. */
  activeSetKey: string;
  /** This process's key queues (Workers built with skipStalledCheck), by key id. */
  workers: ReadonlyMap<string, StalledCheckable>;
  logger: Logger;
  /** @defaultValue STALLED_INTERVAL_MS */
  intervalMs?: number;
  /** How long a queue stays checked after a worker last said it holds a job there. @defaultValue ACTIVE_RECENTLY_MS */
  recentMs?: number;
  /** How often every queue is checked, whatever the set says. @defaultValue SWEEP_EVERY_MS */
  sweepEveryMs?: number;
}

/**
 * Long enough that a dead worker's queues are still checked until its locks have expired and its
 * jobs have been moved back (10-20 s), with room for clock skew between worker machines.
 */
export const ACTIVE_RECENTLY_MS = 120_000;
/** A full sweep: jobs stranded while every worker was down (or never announced) wait at most this. */
export const SWEEP_EVERY_MS = 300_000;
/**
 * BullMQ's stalled script marks active jobs on one call and moves those still unlocked on the next;
 * the last pass comes a whole lock duration after the first, so a lock still alive at the first
 * pass (its worker died just before) has expired by then.
 */
const PASSES_PER_SWEEP = Math.ceil(LOCK_DURATION_MS / STALLED_INTERVAL_MS) + 1;
/** Entries this much older than the window are dropped at a sweep (keys no longer configured). */
const TRIM_AFTER_WINDOWS = 10;

/**
 * BullMQ's stalled-job check, run only on key queues that can hold a stalled job. Stock BullMQ runs
 * one script per queue every stalledInterval, which at a thousand idle keys is most of Redis's idle
 * work. A job can stall only where some worker held it active, so each worker process says which
 * key queues it holds active jobs on (at a job's start, and at every tick while it runs), and every
 * process checks those queues each tick; a sweep of all queues at start-up and every few minutes
 * catches the rest (a crash between BullMQ's fetch and our handler, a lost announcement). The
 * check itself is BullMQ's, with each Worker's own maxStalledCount and stalledInterval.
 */
export class StalledJobCheck {
  private readonly intervalMs: number;
  private readonly recentMs: number;
  private readonly sweepEveryMs: number;
  /** Active jobs of this process, per key id. */
  private readonly activeHere = new Map<string, number>();
  private readonly announcedAt = new Map<string, number>();
  private sweepPassesLeft = 0;
  private nextSweepAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: StalledCheckOptions) {
    this.intervalMs = o.intervalMs ?? STALLED_INTERVAL_MS;
    this.recentMs = o.recentMs ?? ACTIVE_RECENTLY_MS;
    this.sweepEveryMs = o.sweepEveryMs ?? SWEEP_EVERY_MS;
  }

  /** A job of `keyId` became active here; said at once (at most once per interval per key) so a crash right after is covered. */
  jobStarted(keyId: string): void {
    this.activeHere.set(keyId, (this.activeHere.get(keyId) ?? 0) + 1);
    const now = Date.now();
    if (now - (this.announcedAt.get(keyId) ?? 0) < this.intervalMs) return;
    this.announcedAt.set(keyId, now);
    this.o.redis.zadd(this.o.activeSetKey, now, keyId).catch((err: unknown) => {
      this.announcedAt.delete(keyId);
      this.o.logger.debug({ err }, 'could not announce an active job; the next tick or sweep covers it');
    });
  }

  jobFinished(keyId: string): void {
    const left = (this.activeHere.get(keyId) ?? 1) - 1;
    if (left > 0) this.activeHere.set(keyId, left);
    else this.activeHere.delete(keyId);
  }

  /** First tick at once, with a sweep: jobs left by a crash while no worker ran are found now. */
  start(): void {
    this.schedule(0);
  }

  /** Stops ticking and waits for a tick under way. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    // After the previous tick has finished, like BullMQ's own loop: never sooner than the
    // script's guard (stalled-check key, PX stalledInterval) lets a check through.
    this.timer = setTimeout(() => {
      this.tick = this.runTick()
        .catch((err: unknown) => this.o.logger.debug({ err }, 'stalled-job check failed (Redis down?); next time'))
        .finally(() => this.schedule(this.intervalMs));
    }, ms);
  }

  private async runTick(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextSweepAt) {
      this.sweepPassesLeft = PASSES_PER_SWEEP;
      this.nextSweepAt = now + this.sweepEveryMs;
    }
    const sweeping = this.sweepPassesLeft > 0;
    if (sweeping) this.sweepPassesLeft--;
    // A sweep checks every queue whatever the set says, so a failed read does not stop it.
    const recent = await this.recentQueues(now, sweeping).catch((err: unknown) => {
      if (!sweeping) throw err;
      return [];
    });
    const ids = sweeping ? [...this.o.workers.keys()] : recent;
    const checks = ids.flatMap((id) => {
      const worker = this.o.workers.get(id);
      return worker ? [worker.backend.moveStalledJobsToWait().then((moved) => ({ id, moved }))] : [];
    });
    for (const r of await Promise.allSettled(checks)) {
      if (r.status === 'rejected') this.o.logger.debug({ err: r.reason as unknown }, 'stalled-job check of a queue failed; next time');
      else if (r.value.moved.length > 0) this.o.logger.warn({ keyId: r.value.id, jobs: r.value.moved.length }, 'moved stalled jobs back to their queue (their worker died)');
    }
  }

  /** Says which queues this process holds jobs on, and reads which ones any process did lately: one round trip. */
  private async recentQueues(now: number, trim: boolean): Promise<string[]> {
    const pipeline = this.o.redis.pipeline();
    const held = [...this.activeHere.keys()];
    if (held.length > 0) pipeline.zadd(this.o.activeSetKey, ...held.flatMap((id) => [now, id]));
    if (trim) pipeline.zremrangebyscore(this.o.activeSetKey, '-inf', now - TRIM_AFTER_WINDOWS * this.recentMs);
    pipeline.zrangebyscore(this.o.activeSetKey, now - this.recentMs, '+inf');
    const replies = (await pipeline.exec()) ?? [];
    for (const id of held) this.announcedAt.set(id, now);
    const [err, ids] = replies.at(-1) ?? [new Error('no reply')];
    if (err) throw err;
    return ids as string[];
  }
}
