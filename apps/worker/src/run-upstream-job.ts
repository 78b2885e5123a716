import { recordUsage, startMember, type ParsedUpstreamJob, type UpstreamJobResult } from '@ork/shared';
import type { Logger } from 'pino';
import { callUpstream, NO_TOKENS, safeJson, type Attempt } from './call-upstream.js';
import { drainKey } from './drain-key.js';
import { recordAttempt } from './job-metrics.js';
import { applyKeyVerdict } from './key-health.js';
import { replyRefusal } from './refusal.js';
import { reroute } from './reroute.js';
import { retryDelayMs } from './retry-policy.js';
import { classifyResponse } from './upstream/classify-response.js';
import { waitForSlot } from './wait-for-slot.js';
import type { KeyWorkerContext } from './worker-context.js';

export type JobRun = UpstreamJobResult | 'requeue';

/** Runs one queued request on this key: waits for its slot, calls OpenRouter, then replies or moves it. */
export async function runUpstreamJob(ctx: KeyWorkerContext, data: ParsedUpstreamJob, log: Logger): Promise<JobRun> {
  const remaining = data.deadline - Date.now();
  if (remaining <= 0) {
    await ctx.redis.zrem(`${ctx.slot.base}:pending`, data.requestId);
    return { outcome: 'expired' };
  }
  if (data.stream && (await ctx.replies.streamStarted(data.requestId))) return endBrokenStream(ctx, data);
  const tracked = ctx.cancels.track(data.requestId);
  const signal = AbortSignal.any([tracked.signal, AbortSignal.timeout(remaining)]);
  try {
    const slot = await waitForSlot(ctx, data.requestId, signal);
    switch (slot.kind) {
      case 'requeue':
        return await requeueOrMove(ctx, data, slot.waitMs);
      case 'cancelled':
        return { outcome: 'cancelled' };
      case 'exhausted':
      case 'disabled':
        return await moveElsewhere(ctx, data, data.attempt, 0);
      case 'granted':
        break;
    }
    const queueWaitMs = data.enqueuedAt === undefined ? undefined : Math.max(0, Date.now() - data.enqueuedAt);
    const attempt = await callUpstream(ctx, data, startMember(data.requestId, slot.startedToday), signal, log, queueWaitMs);
    recordAttempt(ctx, attempt, queueWaitMs);
    if (attempt.kind === 'answer') {
      log.debug({ status: attempt.answer.status, upstreamMs: attempt.upstreamMs, stream: data.stream, sentAt: attempt.sentAt }, 'upstream answered');
    }
    return await settle(ctx, data, attempt);
  } finally {
    tracked.release();
  }
}

/**
 * A re-run of a streamed request whose worker died mid-stream: the client already has part of
 * the answer, so streaming it again would garble it. End the stream the way OpenRouter ends a
 * broken one, with an error chunk.
 */
async function endBrokenStream(ctx: KeyWorkerContext, data: ParsedUpstreamJob): Promise<UpstreamJobResult> {
  const error = { error: { message: 'The worker relaying this stream stopped mid-stream; retry the request.', code: 502 } };
  await ctx.replies.send(data.replyTo, data.requestId, { type: 'chunk', data: `data: ${JSON.stringify(error)}\n\n` });
  await ctx.replies.send(data.replyTo, data.requestId, { type: 'stream-end' });
  return { outcome: 'failed' };
}

/**
 * This key cannot start the request for a while (a cooldown, its minute is full): move it to a
 * key that can start it clearly sooner, else back to this key's queue without using an attempt.
 */
async function requeueOrMove(ctx: KeyWorkerContext, data: ParsedUpstreamJob, waitMs: number): Promise<JobRun> {
  if (waitMs <= 2_000) return 'requeue';
  const moved = await reroute(ctx, data, { excludeKeyIds: [ctx.key.id], delayMs: 0, attempt: data.attempt, soonerThanMs: waitMs });
  if (moved.kind !== 'moved') return 'requeue';
  await ctx.redis.zrem(`${ctx.slot.base}:pending`, data.requestId);
  return { outcome: 'rerouted' };
}

/** Moves the request to another key, or tells the client that none can take it. */
async function moveElsewhere(ctx: KeyWorkerContext, data: ParsedUpstreamJob, attempt: number, delayMs: number): Promise<UpstreamJobResult> {
  const result = await reroute(ctx, data, { excludeKeyIds: [ctx.key.id], delayMs, attempt });
  if (result.kind === 'moved') return { outcome: 'rerouted' };
  await replyRefusal(ctx, data, result);
  return { outcome: 'exhausted' };
}

async function settle(ctx: KeyWorkerContext, data: ParsedUpstreamJob, attempt: Attempt): Promise<JobRun> {
  if (attempt.kind === 'cancelled') {
    await recordUsage(ctx.redis, ctx.slot.base, { succeeded: false, ...NO_TOKENS });
    return { outcome: 'cancelled' };
  }
  if (attempt.kind === 'network-error') {
    await recordUsage(ctx.redis, ctx.slot.base, { succeeded: false, ...NO_TOKENS });
    if (attempt.relay) {
      await attempt.relay.fail(attempt.message, attempt.timedOut ? 504 : 502);
      return { outcome: 'failed' };
    }
    if (!attempt.timedOut && data.attempt < ctx.maxAttempts) {
      const moved = await retryElsewhere(ctx, data);
      if (moved) return { outcome: 'rerouted' };
    }
    await ctx.replies.send(data.replyTo, data.requestId, {
      type: 'error',
      status: attempt.timedOut ? 504 : 502,
      code: attempt.timedOut ? 'upstream_timeout' : 'upstream_unreachable',
      message: attempt.message,
    });
    return { outcome: 'failed' };
  }

  const { answer } = attempt;
  const verdict = classifyResponse(answer);
  await recordUsage(ctx.redis, ctx.slot.base, {
    succeeded: verdict.kind === 'deliver' && answer.status < 400,
    ...(verdict.kind === 'deliver' ? attempt.usage : NO_TOKENS),
  });
  switch (verdict.kind) {
    case 'deliver':
      return deliver(ctx, data, attempt);
    case 'key-cooldown': {
      await applyKeyVerdict(ctx, verdict);
      void drainKey(ctx, false).catch((err: unknown) => ctx.logger.error({ err }, 'could not move waiting requests off the key'));
      const result = await reroute(ctx, data, { excludeKeyIds: [ctx.key.id], delayMs: 0, attempt: data.attempt });
      // No other key free: wait here until the cooldown ends, without using an attempt.
      return result.kind === 'moved' ? { outcome: 'rerouted' } : 'requeue';
    }
    case 'key-exhausted':
    case 'key-disabled': {
      await applyKeyVerdict(ctx, verdict);
      void drainKey(ctx, true).catch((err: unknown) => ctx.logger.error({ err }, 'could not move waiting requests off the key'));
      if (verdict.kind === 'key-exhausted') return moveElsewhere(ctx, data, data.attempt, 0);
      const result = await reroute(ctx, data, { excludeKeyIds: [ctx.key.id], delayMs: 0, attempt: data.attempt });
      if (result.kind === 'moved') return { outcome: 'rerouted' };
      await ctx.replies.send(data.replyTo, data.requestId, {
        type: 'error',
        status: 503,
        code: 'no_usable_key',
        message: `No usable OpenRouter key: OpenRouter refused the last one (${answer.status}, ${verdict.reason}).`,
      });
      return { outcome: 'failed' };
    }
    case 'retry':
      if (data.attempt < ctx.maxAttempts && (await retryElsewhere(ctx, data))) return { outcome: 'rerouted' };
      return deliver(ctx, data, attempt);
  }
}

/** Another try after a backoff, on another key if one can take it, else on this one. */
async function retryElsewhere(ctx: KeyWorkerContext, data: ParsedUpstreamJob): Promise<boolean> {
  const o = { delayMs: retryDelayMs(data.attempt), attempt: data.attempt + 1 };
  const elsewhere = await reroute(ctx, data, { ...o, excludeKeyIds: [ctx.key.id] });
  if (elsewhere.kind === 'moved') return true;
  return (await reroute(ctx, data, { ...o, excludeKeyIds: [] })).kind === 'moved';
}

/** Upstream's answer to the client; a 200 that carries an error goes out with that error's status. */
async function deliver(ctx: KeyWorkerContext, data: ParsedUpstreamJob, attempt: Extract<Attempt, { kind: 'answer' }>): Promise<UpstreamJobResult> {
  const { answer, contentType, usage, upstreamMs, queueWaitMs } = attempt;
  let status = answer.status;
  if (!answer.streamed) {
    if (status === 200 && classifyResponse(answer).kind === 'retry') status = errorStatusOf(answer.body);
    await ctx.replies.send(data.replyTo, data.requestId, {
      type: 'response',
      status,
      contentType,
      body: answer.body,
      usage,
      keyId: ctx.key.id,
      queueWaitMs,
    });
  }
  return { outcome: 'answered', status, upstreamMs, ...usage };
}

function errorStatusOf(body: string): number {
  const code = (safeJson(body) as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 502;
}
