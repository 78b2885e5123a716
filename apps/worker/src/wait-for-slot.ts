import { ClientKeyNames, acquireSlot, releaseReservation, sleep, type ParsedUpstreamJob, type SlotOwner } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

export type SlotOutcome =
  | { kind: 'granted'; startedToday: number }
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
  if (data.quota === 'paid' || ctx.limits.minIntervalMs === 0) return askForSlot(ctx, data, signal);
  let leave: () => void;
  try {
    leave = await ctx.slotLine.enter(signal);
  } catch {
    await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId: data.requestId, quota: data.quota });
    return { kind: 'cancelled' };
  }
  try {
    return await askForSlot(ctx, data, signal);
  } finally {
    leave();
  }
}

async function askForSlot(ctx: KeyWorkerContext, data: ParsedUpstreamJob, signal: AbortSignal): Promise<SlotOutcome> {
  const { requestId } = data;
  const { quota } = data;
  const cancelKey = ctx.redisKeys.cancel(requestId);
  const owner = ownerOf(ctx, data);
  for (;;) {
    const decision = await acquireSlot(ctx.redis, ctx.slot, cancelKey, requestId, ctx.limits, quota, owner);
    switch (decision.kind) {
      case 'granted':
        return { kind: 'granted', startedToday: decision.startedToday };
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
          await sleep(decision.ms, signal);
        } catch {
          await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId, quota });
          return { kind: 'cancelled' };
        }
    }
  }
}
