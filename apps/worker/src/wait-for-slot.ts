import { acquireSlot, releaseReservation, sleep, type RequestQuota } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

export type SlotOutcome =
  | { kind: 'granted'; startedToday: number }
  | { kind: 'requeue'; waitMs: number }
  | { kind: 'cancelled' }
  | { kind: 'exhausted'; resetInMs: number }
  | { kind: 'disabled' };

/**
 * Waits, inside this worker, for the key's next slot when it is imminent; hands the job back
 * to its queue when the slot is further away, so it stays removable and reroutable there.
 */
export async function waitForSlot(ctx: KeyWorkerContext, requestId: string, quota: RequestQuota, signal: AbortSignal): Promise<SlotOutcome> {
  const cancelKey = ctx.redisKeys.cancel(requestId);
  for (;;) {
    const decision = await acquireSlot(ctx.redis, ctx.slot, cancelKey, requestId, ctx.limits, quota);
    switch (decision.kind) {
      case 'granted':
        return { kind: 'granted', startedToday: decision.startedToday };
      case 'cancelled':
        return { kind: 'cancelled' };
      case 'exhausted':
        return { kind: 'exhausted', resetInMs: decision.resetInMs };
      case 'disabled':
        return { kind: 'disabled' };
      case 'wait-in-queue':
        return { kind: 'requeue', waitMs: decision.ms };
      case 'wait-here':
        try {
          await sleep(decision.ms, signal);
        } catch {
          await releaseReservation(ctx.redis, ctx.slot.base, requestId, quota);
          return { kind: 'cancelled' };
        }
    }
  }
}
