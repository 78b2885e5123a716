import type { RedisClient } from '../redis/redis-client.js';
import type { KeyLimits } from '../config/config.js';
import type { RequestQuota } from '../accounts/request-quota.js';
import { ACQUIRE_REPLY } from './lua-constants.js';
import { LuaScript, pair } from './lua-script.js';
import { HEARTBEAT_STALE_MS } from '../liveness/api-heartbeat.js';

const acquireScript = new LuaScript('acquire');
const commitScript = new LuaScript('commit');
const holdScript = new LuaScript('queue-hold');

/** How far ahead of the key's next departure BullMQ hands out the job after it, to absorb fetch latency. */
export const SLOT_LEAD_MS = 40;
/** The longest a worker holds a job waiting for its slot; beyond that the job waits in its queue. */
export const SLOT_HORIZON_MS = 250;

/**
 * How far ahead of its own slot a key's next job is handed out: one spacing plus the lead, so it
 * is in line before the job ahead of it leaves and can reserve its slot the moment that one is
 * committed (a slot never waits for a fetch); within the horizon, so a long spacing does not pull
 * jobs out of their queue early.
 */
export function fetchLeadMs(limits: Pick<KeyLimits, 'minIntervalMs'>): number {
  return Math.min(enforcedSpacingMs(limits) + SLOT_LEAD_MS, SLOT_HORIZON_MS - SLOT_LEAD_MS / 2);
}

/**
 * The lead the limit scripts hold the queue by (they hold it until the key's next slot minus this):
 * the fetch lead, less one spacing for every job this process already holds for a later slot, so the
 * next job is handed out when it is the next one needed (may be negative: a longer hold).
 */
export function holdLeadMs(limits: Pick<KeyLimits, 'minIntervalMs'>, target: Pick<SlotTarget, 'jobsInLine'>): number {
  return fetchLeadMs(limits) - (target.jobsInLine?.() ?? 0) * enforcedSpacingMs(limits);
}

/**
 * Spacing actually enforced between two departures on one key. Departures are what we promise, and
 * they hold exactly at the interval without any margin: each counts from the previous one's commit,
 * sent after the request is on its socket, and a reserved slot is waited for from the moment its
 * grant arrived. The margin is for the receiver only, which sees requests with network jitter no
 * margin can remove: 1 % of the interval (50 ms at the default 5 s), at least 2 ms. (It was at least
 * 10 ms, which alone made a 100 ms spacing 9 % slower; see docs/BENCHMARKS.md "Pacing at scale".)
 */
export function enforcedSpacingMs(limits: Pick<KeyLimits, 'minIntervalMs'>): number {
  if (limits.minIntervalMs === 0) return 0;
  return limits.minIntervalMs + Math.max(2, Math.ceil(limits.minIntervalMs / 100));
}

/** The account-related arguments every limit script takes after its own. */
export function accountArgs(limits: KeyLimits): [string, number] {
  return [limits.spacingScope ?? 'key', limits.perDayExplicit ? 1 : 0];
}

/** If a worker dies between grant and commit, the key is free again after this. */
const SEND_LOCK_MS = 5_000;

export type SlotDecision =
  /**
   * `departAt` (performance.now() of this process): the request must not leave before it. A reserved
   * slot lies ahead: departAt is the moment the reply arrived plus the wait acquire.lua asked, so
   * the departure is never before the slot Redis reserved, whatever the clocks and however late.
   */
  | { kind: 'granted'; startedToday: number; departAt: number }
  | { kind: 'wait-here'; ms: number }
  | { kind: 'wait-in-queue'; ms: number }
  | { kind: 'cancelled' }
  | { kind: 'exhausted'; resetInMs: number }
  | { kind: 'disabled' }
  /** The API process waiting for it is gone. */
  | { kind: 'orphaned' }
  /** Its client key was revoked or disabled while it waited. */
  | { kind: 'revoked' };

/** Who waits for a request, so that a request nobody waits for any more is not started. */
export interface SlotOwner {
  /** RedisKeys.apiHeartbeat(replyTo), when that API process beats. */
  heartbeatKey?: string;
  /** ClientKeyNames.record(id) of the client key it came with. */
  clientKeyRecord?: string;
}

export interface SlotTarget {
  /** `RedisKeys.keyBase(keyId)` */
  base: string;
  /** BullMQ's limiter key of the key's queue (`queue.keys.limiter`). */
  limiterKey: string;
  /** `RedisKeys.accountOfKey()`: where the scripts find the key's account. */
  accountMap: string;
  /**
   * The worker's line of this key's spaced jobs (SlotLine.id), if it has one: a start may then follow
   * the line's previous one before that one is committed, the worker spacing them itself.
   */
  line?: string;
  /**
   * How many of this key's jobs this process already holds waiting for later slots (SlotLine): the
   * queue then hands out its next job only when those are about to run out, so the worker never
   * holds more than the horizon's worth of jobs a synchronous request would have to wait behind.
   */
  jobsInLine?: () => number;
}

/**
 * The guarantee behind every limit: atomically checks spacing, the account's sliding minute and
 * UTC day at the moment a free-model request would start (a paid one: only its own optional cap),
 * and records the start if allowed.
 */
export async function acquireSlot(
  redis: RedisClient,
  target: SlotTarget,
  cancelKey: string,
  requestId: string,
  limits: KeyLimits,
  quota: RequestQuota = 'free',
  owner: SlotOwner = {},
): Promise<SlotDecision> {
  const [scope, explicit] = accountArgs(limits);
  const reply = await acquireScript.run(redis, [cancelKey], [
      target.base,
      requestId,
      enforcedSpacingMs(limits),
      limits.perMinute,
      limits.perDay,
      holdLeadMs(limits, target),
      SLOT_HORIZON_MS,
      SEND_LOCK_MS,
      target.accountMap,
      scope,
      explicit,
      quota,
      limits.paidPerMinute ?? 0,
      HEARTBEAT_STALE_MS,
      owner.heartbeatKey ?? '',
      owner.clientKeyRecord ?? '',
      target.line ?? '',
    ]);
  const answeredAt = performance.now();
  const [code, ms] = pair(reply);
  const hold = Array.isArray(reply) ? Number(reply[2] ?? -1) : -1;
  const departIn = Array.isArray(reply) ? Number(reply[3] ?? 0) : 0;
  // Paces BullMQ's hand-outs only: a lost or late hold costs a job one more trip here, never a
  // limit; so it is sent (before anything this caller sends next on the connection) but not waited for.
  if (hold >= 0) holdScript.run(redis, [target.limiterKey], ['set', hold]).catch(() => undefined);
  switch (code) {
    case ACQUIRE_REPLY.granted:
      return { kind: 'granted', startedToday: ms, departAt: answeredAt + departIn };
    case ACQUIRE_REPLY.waitHere:
      return { kind: 'wait-here', ms };
    case ACQUIRE_REPLY.waitInQueue:
      return { kind: 'wait-in-queue', ms };
    case ACQUIRE_REPLY.cancelled:
      return { kind: 'cancelled' };
    case ACQUIRE_REPLY.exhausted:
      return { kind: 'exhausted', resetInMs: ms };
    case ACQUIRE_REPLY.disabled:
      return { kind: 'disabled' };
    case ACQUIRE_REPLY.orphaned:
      return { kind: 'orphaned' };
    case ACQUIRE_REPLY.revoked:
      return { kind: 'revoked' };
    default:
      throw new Error(`acquire.lua returned unknown code ${code}`);
  }
}

/** How acquire.lua names one start in the minute window: a request started twice counts twice. */
export function startMember(requestId: string, startedToday: number): string {
  return `${requestId}:${startedToday}`;
}

/** Records that a granted free-model request has left the worker; spacing to the next one counts from now. */
export async function commitStart(redis: RedisClient, target: SlotTarget, member: string, limits: KeyLimits): Promise<void> {
  const reply = await commitScript.run(redis, [target.accountMap], [
    target.base,
    member,
    enforcedSpacingMs(limits),
    limits.perMinute,
    holdLeadMs(limits, target),
    target.accountMap,
    limits.spacingScope ?? 'key',
    limits.perDay,
    limits.perDayExplicit ? 1 : 0,
  ]);
  const [, hold] = pair(reply);
  // Sent before this returns (so before the next acquire on this connection), not waited for: the
  // next job of the key asks for its slot at once.
  if (hold > 0) holdScript.run(redis, [target.limiterKey], ['extend', hold]).catch(() => undefined);
}
