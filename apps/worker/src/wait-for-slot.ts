import { setImmediate as nextTurn } from 'node:timers/promises';
import { ClientKeyNames, acquireSlot, commitStart, enforcedSpacingMs, releaseReservation, sleep, startMember, type ParsedUpstreamJob, type SlotOwner } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

export type SlotOutcome =
  /** Call `departed` the moment the request has left the worker (or will not): the next job of the key's line then asks for its slot. */
  | { kind: 'granted'; startedToday: number; departed: () => void }
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
    // A granted job holds its place until its request has left (the next one is spaced from that).
    if (!granted) leave();
  }
}

/** `promise`, or its rejection with the signal's reason if that aborts first. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
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
      case 'granted': {
        const spaced = ctx.limits.minIntervalMs > 0 && quota !== 'paid';
        const turn = spaced ? ctx.slotLine.takeTurn() : undefined;
        const departed = (): void => {
          turn?.departed();
          leave();
        };
        try {
          // Never sooner than the spacing after this line's previous departure (whether or not
          // this start follows it in Redis: it may), nor than the wait acquire.lua asked.
          const previous = turn ? await unlessAborted(turn.previous, signal) : -Infinity;
          const at = Math.max(decision.departAt, previous + enforcedSpacingMs(ctx.limits));
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-start', Math.max(0, at - performance.now()));
          await untilDeparture(at, signal);
          ctx.trace.mark(ctx.key.id, requestId, 'sleep-end');
        } catch {
          // The reserved slot is given up as if spent: its commit frees the send lock, and the
          // start it counted stays counted (never fewer starts than really happened).
          departed();
          if (spaced) await commitStart(ctx.slotRedis, ctx.slot, startMember(requestId, decision.startedToday), ctx.limits);
          return { kind: 'cancelled' };
        }
        return { kind: 'granted', startedToday: decision.startedToday, departed };
      }
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
