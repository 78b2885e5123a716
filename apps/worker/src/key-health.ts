import { LIMITER_BLOCKED, METRICS, keyStateOf, reindexKey } from '@ork/shared';
import type { KeyVerdict } from './decisions/next-step.js';
import type { KeyWorkerContext } from './worker-context.js';

/**
 * Records what upstream said, for every process: a per-minute 429 cools the key's ACCOUNT down
 * until its reset, a per-day 429 exhausts the account until the day resets (with the real daily
 * limit learned when lower), and an invalid key or one out of credits leaves rotation until the
 * probe finds it working again. Then asks for the key's GET /key again (account, today's use).
 */
export async function applyKeyVerdict(ctx: KeyWorkerContext, verdict: KeyVerdict, now = Date.now()): Promise<void> {
  const keyState = ctx.redisKeys.keyState(ctx.key.id);
  const accountState = keyStateOf(await ctx.accounts.accountBaseOf(ctx.key.id));
  const tx = ctx.redis.multi();
  // The queue's limiter key is in the queue's own cluster slot: held back apart from the MULTI.
  let holdMs = 0;
  switch (verdict.kind) {
    case 'key-cooldown': {
      tx.hset(accountState, 'cooldownUntil', verdict.untilMs);
      holdMs = verdict.untilMs - now;
      break;
    }
    case 'key-exhausted':
      tx.hset(accountState, 'exhaustedUntil', verdict.untilMs);
      // Validated by learnDayLimit(); it lapses at the next UTC reset, and whether it replaces the
      // configured ceiling is decided where limits are read (account_day in common.lua).
      if (verdict.learned) tx.hset(accountState, 'dayLimit', verdict.learned.limit, 'dayLimitUntil', verdict.learned.untilMs);
      break;
    case 'key-disabled':
      tx.hset(keyState, 'disabled', verdict.reason, 'disabledAt', now);
      break;
  }
  await tx.exec();
  if (holdMs > 0) await ctx.redis.set(ctx.slot.limiterKey, LIMITER_BLOCKED, 'PX', holdMs);
  await reindexKey(ctx.redis, ctx.slot.accountMap, ctx.slot.base);
  ctx.accounts.refresh(ctx.key.id);
  ctx.metrics.inc(METRICS.limitEvents, { key_id: ctx.key.id, event: verdict.kind.slice('key-'.length) });
  ctx.logger.warn({ verdict: verdict.kind, ...('reason' in verdict ? { reason: verdict.reason } : {}) }, 'key state changed by upstream');
}
