import { releaseReservation, upstreamJobSchema } from '@ork/shared';
import { reroute } from './reroute.js';
import { replyRefusal } from './refusal.js';
import type { KeyWorkerContext } from './worker-context.js';

/**
 * Moves every job still waiting for this key to the key that can serve it first: another one
 * when this key left rotation (`excludeSelf`), possibly this one again after a cooldown.
 * A job another worker has just taken is left alone: its own acquire sees the key's state.
 */
export async function drainKey(ctx: KeyWorkerContext, excludeSelf: boolean): Promise<number> {
  const queue = ctx.queues.get(ctx.key.id);
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, 10_000);
  let moved = 0;
  for (const job of jobs) {
    const removed = await queue.remove(job.id ?? '');
    if (removed !== 1) continue;
    const parsed = upstreamJobSchema.safeParse(job.data);
    if (!parsed.success) continue;
    const data = parsed.data;
    await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId: data.requestId, quota: data.quota });
    const result = await reroute(ctx, data, { excludeKeyIds: excludeSelf ? [ctx.key.id] : [], delayMs: 0, attempt: data.attempt });
    if (result.kind === 'moved') moved++;
    else await replyRefusal(ctx, data, result);
  }
  if (jobs.length > 0) ctx.logger.info({ moved, waiting: jobs.length }, 'moved waiting requests off a key that left rotation');
  return moved;
}
