import { NoUsableKeyError, type ParsedUpstreamJob, type RouteDecision } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

/** Tells the waiting client that no key can take its request any more. */
export async function replyRefusal(
  ctx: KeyWorkerContext,
  data: ParsedUpstreamJob,
  refusal: Exclude<RouteDecision, { kind: 'routed' }>,
): Promise<void> {
  if (refusal.kind === 'no-usable-key') {
    const { status, code, message } = new NoUsableKeyError(ctx.queues.keys.length);
    await ctx.replies.send(data.replyTo, data.requestId, { type: 'error', status, code: code ?? 'no_usable_key', message });
    return;
  }
  if (refusal.kind === 'exhausted') {
    await ctx.replies.send(data.replyTo, data.requestId, {
      type: 'error',
      status: 429,
      code: 'daily_limit_reached',
      message: 'No OpenRouter key can take more requests today (used up, invalid or out of credits); limits reset at 00:00 UTC.',
      retryAfterMs: refusal.resetInMs,
    });
    return;
  }
  await ctx.replies.send(data.replyTo, data.requestId, {
    type: 'error',
    status: 429,
    code: 'queue_full',
    message: 'Every usable key is busy beyond the time this request has left before its deadline (QUEUE_TIMEOUT_MS or the client’s timeout). Retry later.',
    retryAfterMs: refusal.estimatedWaitMs,
  });
}
