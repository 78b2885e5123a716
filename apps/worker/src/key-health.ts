import { LIMITER_BLOCKED, METRICS } from '@ork/shared';
import type { KeyVerdict } from './decisions/next-step.js';
import type { KeyWorkerContext } from './worker-context.js';

/**
 * Records what upstream said about this key, for every process: a cooldown until its reset,
 * exhaustion until the day resets (with the real daily limit learned when lower), or
 * removal from rotation (invalid, out of credits) until the probe finds it working again.
 */
export async function applyKeyVerdict(ctx: KeyWorkerContext, verdict: KeyVerdict, now = Date.now()): Promise<void> {
  const state = ctx.redisKeys.keyState(ctx.key.id);
  const tx = ctx.redis.multi();
  switch (verdict.kind) {
    case 'key-cooldown': {
      tx.hset(state, 'cooldownUntil', verdict.untilMs);
      const ms = verdict.untilMs - now;
      if (ms > 0) tx.set(ctx.slot.limiterKey, LIMITER_BLOCKED, 'PX', ms);
      break;
    }
    case 'key-exhausted':
      tx.hset(state, 'exhaustedUntil', verdict.untilMs);
      if (verdict.learnedDayLimit !== undefined && (ctx.limits.perDay === 0 || verdict.learnedDayLimit < ctx.limits.perDay)) {
        tx.hset(state, 'dayLimit', verdict.learnedDayLimit);
      }
      break;
    case 'key-disabled':
      tx.hset(state, 'disabled', verdict.reason, 'disabledAt', now);
      break;
  }
  await tx.exec();
  ctx.metrics.inc(METRICS.limitEvents, { key_id: ctx.key.id, event: verdict.kind.slice('key-'.length) });
  ctx.logger.warn({ verdict: verdict.kind, ...('reason' in verdict ? { reason: verdict.reason } : {}) }, 'key state changed by upstream');
}
