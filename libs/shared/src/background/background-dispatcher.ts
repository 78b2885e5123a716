import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client.js';
import type { Logger } from 'pino';
import type { KeyLimits } from '../config/config.js';
import { requestQuota, type RequestQuota } from '../accounts/request-quota.js';
import { JobName, type UpstreamJobData } from '../jobs/upstream-job.js';
import type { KeyQueues } from '../queues/key-queues.js';
import { releaseReservation, routeRequest, type RouteDecision } from '../routing/key-router.js';
import { ANONYMOUS_CLIENT, BACKGROUND_REPLY_TO, backgroundPriority, type BackgroundItem, type BackgroundRequest } from './background-item.js';
import type { BackgroundBacklog, Peeked } from './background-backlog.js';
import type { BatchStore } from './batch-store.js';

/** Most items one tick moves; the next tick goes on. */
const MAX_PER_TICK = 2_000;
/** Items planned, routed and enqueued together (a few round trips for all of them). */
const PLAN_SIZE = 100;
/** How long one dispatcher holds the lock at most (a tick takes milliseconds). */
const LOCK_MS = 10_000;
/** After its key-queue deadline, an unanswered item is taken as lost and queued again. */
const LOST_GRACE_MS = 60_000;
const RECONCILE_EVERY_MS = 5_000;
/** Time between ticks while the backlog is empty. */
const IDLE_TICK_MS = 250;

export interface DispatcherOptions {
  redis: RedisClient;
  backlog: BackgroundBacklog;
  batches: BatchStore;
  queues: KeyQueues;
  limits: KeyLimits;
  /** BACKGROUND_DISPATCH_AHEAD_MS: move work only to a key free within this. */
  aheadMs: number;
  /** QUEUE_TIMEOUT_MS: how long a moved item may then take in the key queue and upstream. */
  queueTimeoutMs: number;
  /** BACKGROUND_CLIENT_WEIGHTS */
  weights: Record<string, number>;
  logger: Logger;
  /** Time between ticks. */
  tickMs: number;
}

export type TickOutcome =
  /** Backlog empty. */
  | { kind: 'idle'; dispatched: number }
  /** The pool has no slot within the horizon (or none today): the rest waits in the backlog. */
  | { kind: 'blocked'; dispatched: number; by: Exclude<RouteDecision, { kind: 'routed' }> }
  | { kind: 'more'; dispatched: number }
  /** Another process holds the lock. */
  | { kind: 'skipped' };

/**
 * Moves background work from the backlog into the key queues, only as far ahead as a key has a
 * free slot within `aheadMs`, taking clients in fair-share order (least virtual time first, each
 * dispatch adding 1/weight). Runs in every worker process; a Redis lock lets one tick at a time
 * (and should it lapse, the commit script still lets only one process take an item).
 *
 * Why not put background work straight into the key queues with a low priority: a key queue is
 * routed by its estimated start, which counts every reservation on it, so a 5,000-line batch would
 * make every synchronous request look hours away and be refused, and a second client's work
 * would sit behind the first's. Here neither happens: the key queues only ever hold what they can
 * start soon, and a synchronous request still goes ahead of it (BullMQ runs non-prioritised jobs first).
 */
export class BackgroundDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closed = false;
  private lastReconcile = 0;
  private readonly token = randomUUID();

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    const loop = (): void => {
      if (this.closed) return;
      let next = this.o.tickMs;
      this.running = this.tick()
        .then((outcome) => {
          // Nothing waiting: look again less often (a new item waits at most IDLE_TICK_MS).
          if (outcome.kind === 'idle' && outcome.dispatched === 0) next = Math.max(next, IDLE_TICK_MS);
          if (outcome.kind === 'more') next = 0;
        })
        .catch((err: unknown) => this.o.logger.warn({ err }, 'background dispatch failed; next tick'))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(loop, next);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  private weight(clientId: string): number {
    return this.o.weights[clientId] ?? 1;
  }

  async tick(): Promise<TickOutcome> {
    const { redis, backlog } = this.o;
    const lock = backlog.keys.backgroundDispatchLock();
    const lockedAt = Date.now();
    if ((await redis.set(lock, this.token, 'PX', LOCK_MS, 'NX')) !== 'OK') return { kind: 'skipped' };
    try {
      if (Date.now() - this.lastReconcile > RECONCILE_EVERY_MS) {
        this.lastReconcile = Date.now();
        await this.requeueLost();
      }
      return await this.dispatch();
    } finally {
      // Still ours unless it lapsed; a lapsed lock is left to expire (no read needed: a lock taken
      // by another process meanwhile would only let two dispatch at once, which the commit makes safe).
      if (Date.now() - lockedAt < LOCK_MS - 1_000) await redis.del(lock);
    }
  }

  private async dispatch(): Promise<TickOutcome> {
    let dispatched = 0;
    // Rounds are capped too: a round may dispatch nothing (items found cancelled or expired).
    for (let round = 0; round < (2 * MAX_PER_TICK) / PLAN_SIZE && dispatched < MAX_PER_TICK; round++) {
      const plan = await this.o.backlog.plan(PLAN_SIZE, this.o.weights);
      if (plan.length === 0) return { kind: 'idle', dispatched };
      const step = await this.dispatchPlan(plan);
      dispatched += step.dispatched;
      if (step.blocked) return { kind: 'blocked', dispatched, by: step.blocked };
    }
    return { kind: 'more', dispatched };
  }

  /**
   * Routes a planned run of items, in plan order and pipelined (each route sees the reservations
   * of those before it), then takes and enqueues the routed ones. At the first refusal the rest
   * wait: their reservations are given back, so the fair-share order holds.
   */
  private async dispatchPlan(plan: readonly Peeked[]): Promise<{ dispatched: number; blocked?: Exclude<RouteDecision, { kind: 'routed' }> }> {
    const { redis, backlog, queues } = this.o;
    const items = await Promise.all(plan.map((p) => backlog.item(p.itemId)));
    const stopped = new Map<string, boolean>();
    const runnable: { p: Peeked; item: BackgroundItem; request: BackgroundRequest; quota: RequestQuota }[] = [];
    for (const [i, p] of plan.entries()) {
      const item = items[i];
      if (!item?.request || item.status !== 'queued') {
        // Expired, or finished by an earlier run of a lost dispatch.
        await backlog.discard(p);
        continue;
      }
      if (p.batchId !== undefined) {
        let isStopped = stopped.get(p.batchId);
        if (isStopped === undefined) {
          isStopped = await this.expireIfDue(p.batchId);
          stopped.set(p.batchId, isStopped);
        }
        if (isStopped) continue;
      }
      runnable.push({ p, item, request: item.request, quota: requestQuota(item.request.body) });
    }
    const decisions = await Promise.all(
      runnable.map(({ item, quota }) =>
        routeRequest(redis, {
          requestId: item.id,
          bases: queues.bases(),
          limits: this.o.limits,
          maxWaitMs: this.o.aheadMs,
          accountMap: queues.redisKeys.accountOfKey(),
          quota,
        }),
      ),
    );
    const release = (keyId: string, requestId: string, quota: RequestQuota): Promise<void> =>
      releaseReservation(redis, { accountMap: queues.redisKeys.accountOfKey(), base: queues.redisKeys.keyBase(keyId), requestId, quota });
    let blocked: Exclude<RouteDecision, { kind: 'routed' }> | undefined;
    const routed: { p: Peeked; item: BackgroundItem; request: BackgroundRequest; quota: RequestQuota; keyId: string }[] = [];
    for (const [i, d] of decisions.entries()) {
      const r = runnable[i];
      if (!r) continue;
      if (d.kind !== 'routed') {
        blocked ??= d;
        continue;
      }
      const key = queues.keys[d.index];
      if (!key) throw new Error('router returned an unknown key');
      if (blocked) await release(key.id, r.item.id, r.quota);
      else routed.push({ ...r, keyId: key.id });
    }
    const now = Date.now();
    const deadline = now + this.o.aheadMs + this.o.queueTimeoutMs;
    const taken = await Promise.all(routed.map((r) => backlog.commit(r.p, this.weight(r.p.clientId), deadline + LOST_GRACE_MS, r.keyId)));
    await Promise.all(
      routed.map(async (r, i) => {
        if (!taken[i]) return release(r.keyId, r.item.id, r.quota);
        await queues.queueFor(r.keyId, r.quota).add(JobName.Upstream, this.jobData(r.item, r.request, r.quota, r.keyId, now, deadline), {
          jobId: r.item.id,
          priority: backgroundPriority(r.item.lane),
          ...queues.retention,
        });
      }),
    );
    if (blocked?.kind === 'exhausted') {
      await redis.set(backlog.keys.backgroundBlockedUntil(), String(Date.now() + blocked.resetInMs), 'PX', Math.max(1, blocked.resetInMs));
    }
    return { dispatched: taken.filter(Boolean).length, ...(blocked ? { blocked } : {}) };
  }

  private jobData(item: BackgroundItem, request: BackgroundRequest, quota: RequestQuota, keyId: string, now: number, deadline: number): UpstreamJobData {
    return {
      requestId: item.id,
      replyTo: BACKGROUND_REPLY_TO,
      endpoint: request.endpoint,
      body: { ...request.body, stream: false },
      headers: request.headers,
      deadline,
      stream: false,
      // Queue wait as the worker measures it is the key queue's only, not the backlog's.
      enqueuedAt: now,
      quota,
      ...(quota === 'paid' ? { keyId } : {}),
      // Nobody waits on a connection: no API process's heartbeat to watch.
      heartbeat: false,
      lane: item.lane,
      ...(item.clientId !== ANONYMOUS_CLIENT ? { clientKeyId: item.clientId } : {}),
    };
  }

  /** A batch past its completion window: the lines still waiting never run. */
  private async expireIfDue(batchId: string): Promise<boolean> {
    const { batches, backlog } = this.o;
    const state = await batches.runState(batchId);
    if (state === 'runnable') return false;
    if (state === 'past-window') await batches.markStopping(batchId, 'expired');
    const withdrawn = await backlog.withdrawBatch(batchId);
    if (state !== 'gone' && withdrawn > 0) await batches.recordDropped(batchId, withdrawn);
    return true;
  }

  /** Dispatched items that never answered (a lost job, a worker that dropped it): back to the backlog. */
  private async requeueLost(): Promise<void> {
    const { backlog } = this.o;
    for (const id of await backlog.overdue(Date.now())) {
      const item = await backlog.item(id);
      if (item?.status === 'dispatched') {
        this.o.logger.info({ itemId: id }, 'background item got no answer in time; queued again');
        await backlog.requeue(item);
      } else {
        await backlog.clearInflight(id);
      }
    }
  }

  /** Stops ticking and waits for a running tick; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
