import { setImmediate as nextTurn } from 'node:timers/promises';
import { ClientKeyNames, acquireSlot, commitStart, releaseReservation, sleep, startMember, type ParsedUpstreamJob, type SlotOwner } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

export type SlotOutcome =
  /** `leave` lets the next job of the key's line ask for its slot: call it once this start is committed. */
  | { kind: 'granted'; startedToday: number; leave: () => void }
  | { kind: 'requeue'; waitMs: number }
  | { kind: 'cancelled' }
  | { kind: 'exhausted'; resetInMs: number }
  | { kind: 'disabled' }
  | { kind: 'orphaned' }
  | { kind: 'revoked' };

/** Who waits for this job: its API process (if it beats) and its client key (if any). */
function ownerOf(ctx: KeyWorkerContext, data: ParsedUpstreamJob): SlotOwner {
  const owner: SlotOwner = {};
  if (data.heartbeat) owner.heartbeatKey = ctx.redisKeys.apiHeartbeat(data.replyTo);
  if (data.clientKeyId !== undefined) owner.clientKeyRecord = new ClientKeyNames(ctx.redisKeys.prefix).record(data.clientKeyId);
  return owner;
}

/**
 * Waits, inside this worker, for the key's next slot when it is imminent; hands the job back
 * to its queue when the slot is further away, so it stays removable and reroutable there.
 */
export async function waitForSlot(ctx: KeyWorkerContext, data: ParsedUpstreamJob, signal: AbortSignal): Promise<SlotOutcome> {
  // Only spaced requests wait for one another; paid ones and unspaced keys ask at once.
  if (data.quota === 'paid' || ctx.limits.minIntervalMs === 0) return askForSlot(ctx, data, signal, () => undefined);
  let leave: () => void;
  try {
    leave = await ctx.slotLine.enter(signal);
  } catch {
    await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId: data.requestId, quota: data.quota });
    return { kind: 'cancelled' };
  }
  ctx.trace.mark(ctx.key.id, data.requestId, 'head');
  let granted = false;
  try {
    const outcome = await askForSlot(ctx, data, signal, leave);
    granted = outcome.kind === 'granted';
    return outcome;
  } finally {
    // A granted job holds its place until its start is committed (the next one's slot counts from it).
    if (!granted) leave();
  }
}

/**
 * Until `at` (performance.now()): a timer, then a turn or two of the event loop for the last
 * fraction of a ms (a timer may fire up to 1 ms early: libuv rounds its clock down).
 */
async function untilDeparture(at: number, signal: AbortSignal): Promise<void> {
  for (let left = at - performance.now(); left > 0; left = at - performance.now()) {
    if (left >= 1) await sleep(left, signal);
    else await nextTurn(undefined, { signal });
  }
}

async function askForSlot(ctx: KeyWorkerContext, data: ParsedUpstreamJob, signal: AbortSignal, leave: () => void): Promise<SlotOutcome> {
  const { requestId } = data;
  const { quota } = data;
  const cancelKey = ctx.redisKeys.cancel(requestId);
  const owner = ownerOf(ctx, data);
  for (;;) {
    ctx.trace.mark(ctx.key.id, requestId, 'acquire-sent');
    const decision = await acquireSlot(ctx.slotRedis, ctx.slot, cancelKey, requestId, ctx.limits, quota, owner);
    ctx.trace.mark(ctx.key.id, requestId, 'acquire-answered', decision.kind === 'wait-here' ? decision.ms : 0);
    switch (decision.kind) {
      case 'granted':
        try {
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-start', Math.max(0, decision.departAt - performance.now()));
          await untilDeparture(decision.departAt, signal);
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-end');
        } catch {
          // The reserved slot is given up as if spent: its commit frees the send lock, and the
          // start it counted stays counted (never fewer starts than really happened).
          if (ctx.limits.minIntervalMs > 0 && quota !== 'paid') await commitStart(ctx.slotRedis, ctx.slot, startMember(requestId, decision.startedToday), ctx.limits);
          return { kind: 'cancelled' };
        }
        return { kind: 'granted', startedToday: decision.startedToday, leave };
      case 'cancelled':
        return { kind: 'cancelled' };
      case 'exhausted':
        return { kind: 'exhausted', resetInMs: decision.resetInMs };
      case 'disabled':
      case 'orphaned':
      case 'revoked':
        return { kind: decision.kind };
      case 'wait-in-queue':
        return { kind: 'requeue', waitMs: decision.ms };
      case 'wait-here':
        try {
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-start', decision.ms);
          await sleep(decision.ms, signal);
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-end');
        } catch {
          await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId, quota });
          return { kind: 'cancelled' };
        }
    }
  }
}
