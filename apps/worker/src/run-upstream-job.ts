import { commitStart, recordUsage, tokensOf, type TokenUsage, type UpstreamJobData, type UpstreamJobResult } from '@ork/shared';
import { StreamRelay } from './upstream/stream-relay.js';
import type { Logger } from 'pino';
import { waitForSlot } from './wait-for-slot.js';
import type { KeyWorkerContext } from './worker-context.js';

export type JobRun = UpstreamJobResult | 'requeue';

/** Runs one queued request on this key: waits for its slot, calls OpenRouter, replies to the API. */
export async function runUpstreamJob(ctx: KeyWorkerContext, data: UpstreamJobData, log: Logger): Promise<JobRun> {
  const { requestId } = data;
  const remaining = data.deadline - Date.now();
  if (remaining <= 0) {
    await ctx.redis.zrem(`${ctx.slot.base}:pending`, requestId);
    return { outcome: 'expired' };
  }
  const tracked = ctx.cancels.track(requestId);
  const signal = AbortSignal.any([tracked.signal, AbortSignal.timeout(remaining)]);
  try {
    const slot = await waitForSlot(ctx, requestId, signal);
    if (slot.kind === 'requeue') return 'requeue';
    if (slot.kind === 'cancelled') return { outcome: 'cancelled' };
    if (slot.kind === 'exhausted') {
      await ctx.replies.send(data.replyTo, requestId, {
        type: 'error',
        status: 429,
        code: 'daily_limit_reached',
        message: 'Every OpenRouter key has used its requests for today; the limits reset at 00:00 UTC.',
        retryAfterMs: slot.resetInMs,
      });
      return { outcome: 'exhausted' };
    }
    return await callUpstream(ctx, data, signal, log);
  } finally {
    tracked.release();
  }
}

async function callUpstream(
  ctx: KeyWorkerContext,
  data: UpstreamJobData,
  signal: AbortSignal,
  log: Logger,
): Promise<UpstreamJobResult> {
  const started = performance.now();
  let commit: Promise<void> | undefined;
  let sentAt = 0;
  const onSent = (): void => {
    sentAt = performance.timeOrigin + performance.now();
    // Without spacing there is nothing to hold back; the grant already counted the start.
    if (ctx.limits.minIntervalMs === 0) return;
    commit = commitStart(ctx.redis, ctx.slot, data.requestId, ctx.limits).catch((err: unknown) =>
      log.error({ err }, 'could not record the request start'),
    );
  };
  const relay = data.stream ? new StreamRelay(ctx.replies, data.replyTo, data.requestId) : undefined;
  try {
    const response = await ctx.upstream.send(
      { endpoint: data.endpoint, secret: ctx.key.secret, body: data.body, headers: data.headers, stream: data.stream, signal, onSent },
      relay,
    );
    const upstreamMs = Math.round(performance.now() - started);
    let usage: TokenUsage;
    if (relay?.started) {
      await relay.end();
      usage = relay.usage ?? NO_TOKENS;
    } else {
      usage = response.status === 200 ? tokensOf(safeJson(response.body)) : NO_TOKENS;
      await ctx.replies.send(data.replyTo, data.requestId, { type: 'response', ...response, usage });
    }
    await recordUsage(ctx.redis, ctx.slot.base, { succeeded: response.status < 400, ...usage });
    log.debug({ status: response.status, upstreamMs, stream: data.stream, sentAt }, 'upstream answered');
    return { outcome: 'answered', status: response.status, upstreamMs, ...usage };
  } catch (err) {
    await recordUsage(ctx.redis, ctx.slot.base, { succeeded: false, ...NO_TOKENS });
    if (signal.aborted && Date.now() < data.deadline) return { outcome: 'cancelled' };
    const timedOut = Date.now() >= data.deadline;
    log.warn({ err: timedOut ? undefined : err, timedOut }, 'upstream request failed');
    const status = timedOut ? 504 : 502;
    const message = timedOut
      ? 'OpenRouter did not answer within QUEUE_TIMEOUT_MS.'
      : `Could not reach OpenRouter: ${err instanceof Error ? err.message : 'unknown error'}`;
    if (relay?.started) await relay.fail(message, status);
    else {
      await ctx.replies.send(data.replyTo, data.requestId, {
        type: 'error',
        status,
        code: timedOut ? 'upstream_timeout' : 'upstream_unreachable',
        message,
      });
    }
    return { outcome: 'failed' };
  } finally {
    await commit;
  }
}

const NO_TOKENS: TokenUsage = { promptTokens: 0, completionTokens: 0 };

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
