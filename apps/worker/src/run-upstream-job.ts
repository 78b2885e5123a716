import {
  ENDPOINTS,
  addUsage,
  runWrites,
  releaseReservation,
  startMember,
  streamErrorEvent,
  type ParsedUpstreamJob,
  type PipelineWrites,
  type UpstreamJobResult,
} from '@ork/shared';
import type { Logger } from 'pino';
import { callUpstream, NO_TOKENS, type Attempt } from './call-upstream.js';
import { judgeAttempt } from './decisions/attempt-verdict.js';
import { nextStep, usageCount, type AttemptVerdict, type Fallback, type NextStep, type Refusal } from './decisions/next-step.js';
import { drainKey } from './drain-key.js';
import { generationWrites } from './generation-owner.js';
import { recordAttempt } from './job-metrics.js';
import { applyKeyVerdict } from './key-health.js';
import { replyRefusal } from './refusal.js';
import { reroute, type RerouteResult } from './reroute.js';
import { retryDelayMs } from './retry-policy.js';
import { waitForSlot } from './wait-for-slot.js';
import { asJsonErrorBody } from './upstream/error-body.js';
import type { KeyWorkerContext } from './worker-context.js';

export type JobRun = UpstreamJobResult | 'requeue';

/**
 * At the job's deadline the API answers its client (naming the deadline's source) and cancels the
 * job, which aborts the upstream call here. The worker's own cut-off, for an API process that can
 * no longer cancel, comes this much later, so that it never beats the API's answer (a reply handed
 * over in memory, with `npm start`, would arrive first).
 */
export const WORKER_DEADLINE_GRACE_MS = 500;

/** Runs one queued request on this key: waits for its slot, calls OpenRouter, then carries out nextStep(). */
export async function runUpstreamJob(ctx: KeyWorkerContext, data: ParsedUpstreamJob, log: Logger): Promise<JobRun> {
  const remaining = data.deadline - Date.now();
  if (remaining <= 0) {
    await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId: data.requestId, quota: data.quota });
    return { outcome: 'expired' };
  }
  if (data.stream && (await ctx.replies.streamStarted(data.requestId))) return endBrokenStream(ctx, data);
  const tracked = ctx.cancels.track(data.requestId, remaining + WORKER_DEADLINE_GRACE_MS);
  const { signal } = tracked;
  try {
    const slot = await waitForSlot(ctx, data, signal);
    switch (slot.kind) {
      case 'requeue':
        return await carryOut(ctx, data, { kind: 'slot-wait', waitMs: slot.waitMs }, undefined);
      case 'cancelled':
        return { outcome: 'cancelled' };
      case 'orphaned':
        log.info('dropped a request whose API process is gone; nothing was sent upstream');
        return await carryOut(ctx, data, { kind: 'orphaned' }, undefined);
      case 'revoked':
        return await carryOut(ctx, data, { kind: 'client-revoked' }, undefined);
      case 'exhausted':
      case 'disabled':
        return await carryOut(ctx, data, { kind: 'slot-refused' }, undefined);
      case 'granted':
        break;
    }
    const queueWaitMs = data.enqueuedAt === undefined ? undefined : Math.max(0, Date.now() - data.enqueuedAt);
    let attempt: Attempt;
    try {
      attempt = await callUpstream(ctx, data, { member: startMember(data.requestId, slot.startedToday), departed: slot.departed }, signal, log, queueWaitMs);
    } finally {
      // Not sent at all: as if it had left now (a later start only waits longer).
      slot.departed();
    }
    const judged = judgeAttempt(attempt, Date.now(), data.quota, ctx.limits.perDay);
    recordAttempt(ctx, attempt, judged, queueWaitMs);
    if (attempt.kind === 'answer') {
      log.debug({ status: attempt.answer.status, upstreamMs: attempt.upstreamMs, stream: data.stream, sentAt: attempt.sentAt }, 'upstream answered');
    }
    return await carryOut(ctx, data, judged, attempt);
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
  const error = { message: 'The worker relaying this stream stopped mid-stream; retry the request.', code: 502 };
  await ctx.replies.send(data.replyTo, data.requestId, { type: 'chunk', data: streamErrorEvent(ENDPOINTS[data.endpoint].sseDialect, error) });
  await ctx.replies.send(data.replyTo, data.requestId, { type: 'stream-end' });
  return { outcome: 'failed' };
}

/** Carries out what nextStep() decided for this try; `attempt` is the upstream call, if one was made. */
async function carryOut(ctx: KeyWorkerContext, data: ParsedUpstreamJob, verdict: AttemptVerdict, attempt: Attempt | undefined): Promise<JobRun> {
  const step: NextStep = nextStep(verdict, data.attempt, { maxAttempts: ctx.maxAttempts });
  const writes = afterAttemptWrites(ctx, verdict, attempt);
  // A plain answer takes these writes along in its reply's round trip; every other step writes them now.
  const withReply = step.kind === 'deliver' && attempt?.kind === 'answer' && !attempt.answer.streamed;
  if (!withReply) await runWrites(ctx.redis, writes);
  if (withReply) return deliver(ctx, data, attempt, step.status, writes);
  switch (step.kind) {
    case 'stop':
      return { outcome: 'cancelled' };
    case 'requeue':
    case 'deliver':
    case 'refuse':
      return endHere(ctx, data, attempt, step, undefined);
    case 'retry-elsewhere': {
      const o = { delayMs: retryDelayMs(data.attempt), attempt: step.attempt };
      const elsewhere = await reroute(ctx, data, { ...o, excludeKeyIds: [ctx.key.id] });
      if (elsewhere.kind === 'moved' || (await reroute(ctx, data, { ...o, excludeKeyIds: [] })).kind === 'moved') return { outcome: 'rerouted' };
      return endHere(ctx, data, attempt, step.otherwise, undefined);
    }
    case 'move': {
      if (step.keyVerdict) await applyKeyVerdict(ctx, step.keyVerdict);
      if (step.drain !== 'none') {
        void drainKey(ctx, step.drain === 'others').catch((err: unknown) => ctx.logger.error({ err }, 'could not move waiting requests off the key'));
      }
      const moved = await reroute(ctx, data, { excludeKeyIds: [ctx.key.id], delayMs: 0, attempt: data.attempt, soonerThanMs: step.soonerThanMs });
      if (moved.kind !== 'moved') return endHere(ctx, data, attempt, step.otherwise, moved);
      if (step.releaseReservation) await releaseReservation(ctx.redis, { accountMap: ctx.slot.accountMap, base: ctx.slot.base, requestId: data.requestId, quota: data.quota });
      return { outcome: 'rerouted' };
    }
  }
}

/** The usage counters and generation owner this try adds, if any (one pipeline's worth). */
function afterAttemptWrites(ctx: KeyWorkerContext, verdict: AttemptVerdict, attempt: Attempt | undefined): PipelineWrites {
  const count = usageCount(verdict);
  const generation = attempt?.kind === 'answer' ? generationWrites(ctx, attempt.generationIds) : [];
  if (!count) return generation;
  const tokens = count.withTokens && attempt?.kind === 'answer' ? attempt.usage : NO_TOKENS;
  return [...generation, (pipeline) => addUsage(pipeline, ctx.slot.base, { succeeded: count.succeeded, ...tokens })];
}

/** A step that ends this run of the job; `routed` is the router's answer when a move found no key. */
function endHere(
  ctx: KeyWorkerContext,
  data: ParsedUpstreamJob,
  attempt: Attempt | undefined,
  step: Fallback,
  routed: RerouteResult | undefined,
): Promise<JobRun> | JobRun {
  switch (step.kind) {
    case 'requeue':
      return 'requeue';
    case 'deliver':
      return deliver(ctx, data, attempt, step.status);
    case 'refuse':
      return refuse(ctx, data, attempt, step.refusal, routed);
  }
}

async function refuse(
  ctx: KeyWorkerContext,
  data: ParsedUpstreamJob,
  attempt: Attempt | undefined,
  refusal: Refusal,
  routed: RerouteResult | undefined,
): Promise<UpstreamJobResult> {
  switch (refusal.kind) {
    case 'no-key':
      if (!routed || routed.kind === 'moved') throw new Error('a no-key refusal needs the router’s answer');
      await replyRefusal(ctx, data, routed);
      return { outcome: 'exhausted' };
    case 'stream-error': {
      const relay = attempt?.kind === 'network-error' ? attempt.relay : undefined;
      if (!relay) throw new Error('a stream-error refusal needs the stream under way');
      await relay.fail(refusal.message, refusal.status);
      return { outcome: 'failed' };
    }
    case 'error':
      await ctx.replies.send(data.replyTo, data.requestId, { type: 'error', status: refusal.status, code: refusal.code, message: refusal.message });
      return { outcome: 'failed' };
  }
}

/** Upstream's answer to the client (already relayed when streamed); `writes` go in the reply's round trip. */
async function deliver(
  ctx: KeyWorkerContext,
  data: ParsedUpstreamJob,
  attempt: Attempt | undefined,
  status: number,
  writes?: PipelineWrites,
): Promise<UpstreamJobResult> {
  if (attempt?.kind !== 'answer') throw new Error('deliver needs an upstream answer');
  const { answer, contentType, usage, upstreamMs, queueWaitMs } = attempt;
  if (!answer.streamed) {
    const shaped = asJsonErrorBody(status, contentType, answer.body);
    await ctx.replies.send(data.replyTo, data.requestId, {
      type: 'response',
      status,
      contentType: shaped.contentType,
      body: shaped.body,
      usage,
      keyId: ctx.key.id,
      queueWaitMs,
    }, writes);
  }
  return { outcome: 'answered', status, upstreamMs, ...usage };
}
