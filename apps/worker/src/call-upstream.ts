import { ENDPOINTS, commitStart, tokensOf, type ParsedUpstreamJob, type TokenUsage } from '@ork/shared';
import type { Logger } from 'pino';
import type { UpstreamAnswer } from './upstream/classify-response.js';
import { StreamRelay } from './upstream/stream-relay.js';
import { UpstreamTooLargeError, upstreamTimeoutOf } from './upstream/upstream-client.js';
import type { KeyWorkerContext } from './worker-context.js';

export const NO_TOKENS: TokenUsage = { promptTokens: 0, completionTokens: 0 };

export type Attempt =
  | {
      kind: 'answer';
      answer: UpstreamAnswer;
      contentType: string;
      usage: TokenUsage;
      upstreamMs: number;
      queueWaitMs: number | undefined;
      /** When the request had fully left this process (epoch ms, sub-ms): for comparing with upstream's arrival stamps. */
      sentAt: number;
      /** Ids upstream gave the generation (header, body): noted with the reply (generationWrites()). */
      generationIds: readonly unknown[];
    }
  | { kind: 'network-error'; message: string; timedOut: boolean; relay: StreamRelay | undefined; tooLarge?: boolean }
  | { kind: 'cancelled' };

/**
 * One upstream call on a granted slot. Records the departure (spacing counts from it), relays
 * a streamed body as it arrives, and buffers anything else for classification.
 */
export async function callUpstream(
  ctx: KeyWorkerContext,
  data: ParsedUpstreamJob,
  start: {
    /** This start in the minute window (startMember()), moved to the departure time on commit. */
    member: string;
    /** Called the moment the request has left (the next start on the key is spaced from it). */
    departed: () => void;
  },
  signal: AbortSignal,
  log: Logger,
  /** How long the request queued before this call; reported back with the answer. */
  queueWaitMs?: number,
): Promise<Attempt> {
  const started = performance.now();
  let commit: Promise<void> | undefined;
  let sentAt = 0;
  const onSent = (): void => {
    sentAt = performance.timeOrigin + performance.now();
    start.departed();
    ctx.trace.mark(ctx.key.id, data.requestId, 'sent');
    // Without spacing there is nothing to hold back; the grant already counted the start.
    // Paid-model requests are neither spaced nor in the account's minute.
    if (ctx.limits.minIntervalMs === 0 || data.quota === 'paid') return;
    // A turn of the event loop later: the next job of the line asks for its slot first, so it can
    // follow this start instead of waiting for the commit (a later commit is only more cautious).
    commit = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => commitStart(ctx.slotRedis, ctx.slot, start.member, ctx.limits))
      .then(
        () => ctx.trace.mark(ctx.key.id, data.requestId, 'commit-answered'),
        (err: unknown) => log.error({ err }, 'could not record the request start'),
      );
  };
  const dialect = ENDPOINTS[data.endpoint].sseDialect;
  const relay = data.stream
    ? new StreamRelay(ctx.replies, data.replyTo, data.requestId, { keyId: ctx.key.id, queueWaitMs }, dialect)
    : undefined;
  ctx.trace.mark(ctx.key.id, data.requestId, 'dispatch');
  try {
    const response = await ctx.upstream.send(
      { endpoint: data.endpoint, secret: ctx.key.secret, body: data.body, headers: data.headers, stream: data.stream, signal, onSent },
      relay,
    );
    const upstreamMs = Math.round(performance.now() - started);
    const streamed = relay?.started ?? false;
    if (streamed) await relay?.end();
    const parsed = streamed || response.status !== 200 ? undefined : safeJson(response.body);
    const usage = streamed ? (relay?.usage ?? NO_TOKENS) : parsed !== undefined ? tokensOf(parsed) : NO_TOKENS;
    const bodyId = streamed ? relay?.generationId : (parsed as { id?: unknown } | null)?.id;
    const generationIds = response.status === 200 ? [response.headers['x-generation-id'], bodyId] : [];
    return {
      kind: 'answer',
      answer: { status: response.status, headers: response.headers, body: response.body, streamed, endpoint: data.endpoint },
      contentType: response.contentType,
      usage,
      upstreamMs,
      queueWaitMs,
      sentAt,
      generationIds,
    };
  } catch (err) {
    if (signal.aborted && Date.now() < data.deadline) return { kind: 'cancelled' };
    const relayed = relay?.started ? relay : undefined;
    if (err instanceof UpstreamTooLargeError) {
      log.warn({ limit: err.limit }, 'upstream answer too large');
      return { kind: 'network-error', timedOut: false, tooLarge: true, relay: relayed, message: err.message };
    }
    const stalled = upstreamTimeoutOf(err, ctx.upstream.bounds);
    const timedOut = stalled !== undefined || Date.now() >= data.deadline;
    log.warn({ err: timedOut ? undefined : err, timedOut, stalled }, 'upstream request failed');
    return {
      kind: 'network-error',
      timedOut,
      relay: relayed,
      message:
        stalled ??
        (timedOut ? 'OpenRouter did not answer within QUEUE_TIMEOUT_MS.' : `Could not reach OpenRouter: ${err instanceof Error ? err.message : 'unknown error'}`),
    };
  } finally {
    await commit;
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
