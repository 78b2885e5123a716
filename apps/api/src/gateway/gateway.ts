import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@ork/shared';
import {
  GatewayTimeoutError,
  NoUsableKeyError,
  JobName,
  RateLimitedError,
  ServiceUnavailableError,
  cancelRequest,
  releaseReservation,
  routeRequest,
  requestQuota,
  isFinalReply,
  keyPaidPendingOf,
  keyPendingOf,
  type KeyLimits,
  type RequestQuota,
  type ReplyMessage,
  type ReplyReader,
  type UpstreamJobData,
} from '@ork/shared';
import type { Logger } from 'pino';
import type { CompletionRequest } from '../completions/validate-request.js';
import type { ClientDeadline } from '../completions/client-deadline.js';
import { QUEUE_HEADERS } from '../completions/queue-headers.js';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import type { KeyQueues } from '@ork/shared';

export interface GatewayOptions {
  redis: RedisClient;
  queues: KeyQueues;
  replies: ReplyReader;
  /** This API process's reply stream id. */
  instanceId: string;
  limits: KeyLimits;
  logger: Logger;
}

export interface QueuedTicket {
  requestId: string;
  /** When the request was accepted (epoch ms): the queue wait counts from here. */
  acceptedAt: number;
  /** The router's estimate of the time from acceptance to the upstream start. */
  estimatedWaitMs: number;
  /** 1-based place among the requests waiting for this key; 0 once started. */
  position(): Promise<number>;
}

export interface SubmitOptions {
  signal: AbortSignal;
  /** How long the client waits (clientDeadline): refused at once if it cannot start in time. */
  deadline: ClientDeadline;
  /** The client key's id, when the request came with one: revoked while waiting, the job is dropped. */
  clientKeyId?: string | undefined;
  onMessage(message: ReplyMessage): void;
  onQueued?(ticket: QueuedTicket): void;
}

/** The request's deadline passed before its answer came (turned into a 504 once cancelled). */
class DeadlinePassed extends Error {
  override readonly name = 'DeadlinePassed';
}

/** Raised when the client went away; nothing is sent back. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

/**
 * Routes one request to a key, queues it, and waits for the worker's reply on this
 * process's reply stream. Cancels the job if the client leaves or the deadline passes.
 */
export class Gateway {
  /** Every request waiting in this process, to fail them all when Redis lost their jobs. */
  private readonly waiting = new Set<(err: unknown) => void>();

  constructor(private readonly o: GatewayOptions) {}

  /** Redis lost every job (restart without persistence): answer each waiting request now. */
  failAllLost(): void {
    const err = new ServiceUnavailableError(
      'Redis lost this request while it waited (it restarted without persistence); it was not answered upstream. Retry it.',
      { code: 'request_lost' },
    );
    for (const reject of this.waiting) reject(err);
  }

  /**
   * Queues one request and delivers every reply message for it to `onMessage`, resolving after
   * the last one. Rejects on timeout, on client disconnect (ClientGoneError) or when
   * `onMessage` throws; the job is then cancelled.
   */
  async submit(request: CompletionRequest, options: SubmitOptions): Promise<void> {
    const { o } = this;
    const requestId = randomUUID();
    const quota = requestQuota(request.body);
    const { deadline } = options;
    const acceptedAt = Date.now();
    const decision = await this.redisCall(() =>
      routeRequest(o.redis, {
        requestId,
        bases: o.queues.bases(),
        limits: o.limits,
        // The router refuses (and reserves nothing) when the estimated start is later than this.
        maxWaitMs: deadline.maxWaitMs,
        accountMap: o.queues.redisKeys.accountOfKey(),
        quota,
      }),
    );
    if (decision.kind === 'exhausted' && quota === 'paid') {
      throw new ServiceUnavailableError('No usable OpenRouter key: every key is invalid or out of credits.', { code: 'no_usable_key' });
    }
    if (decision.kind === 'exhausted') {
      throw new RateLimitedError(
        `Every OpenRouter account behind the ${o.queues.keys.length} keys has used its free-model requests for today ` +
          '(or its keys are unusable); the limits reset at 00:00 UTC. Paid models are not affected.',
        decision.resetInMs,
        { code: 'daily_limit_reached' },
      );
    }
    if (decision.kind === 'no-usable-key') throw new NoUsableKeyError(o.queues.keys.length);
    if (decision.kind === 'too-long') throw tooLongError(decision.estimatedWaitMs, deadline);
    const key = o.queues.keys[decision.index];
    if (!key) throw new Error('router returned an unknown key');
    const queue = o.queues.queueFor(key.id, quota);
    const base = o.queues.redisKeys.keyBase(key.id);

    let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    let timer: NodeJS.Timeout | undefined;
    let streaming = false;
    /** Until the client's deadline; a stream, once upstream started it, may run on to QUEUE_TIMEOUT_MS. */
    const armTimer = (afterMs: number, err: () => Error): void => {
      clearTimeout(timer);
      timer = setTimeout(() => settle?.reject(err()), Math.max(0, acceptedAt + afterMs - Date.now()));
    };
    const unlisten = o.replies.listen(requestId, (message) => {
      try {
        if (message.type === 'stream-start') {
          streaming = true;
          armTimer(deadline.ceilingMs, () => new GatewayTimeoutError(streamTimeoutMessage(deadline)));
        }
        options.onMessage(message);
        if (isFinalReply(message)) settle?.resolve();
      } catch (err) {
        settle?.reject(err);
      }
    });
    const data: UpstreamJobData = {
      requestId,
      replyTo: o.instanceId,
      endpoint: request.endpoint,
      body: request.body,
      headers: request.headers,
      // A stream's deadline bounds its start (the API's timer); the stream itself may run to QUEUE_TIMEOUT_MS.
      deadline: acceptedAt + (request.stream ? deadline.ceilingMs : deadline.timeoutMs),
      stream: request.stream,
      enqueuedAt: acceptedAt,
      quota,
      ...(quota === 'paid' ? { keyId: key.id } : {}),
      heartbeat: true,
      ...(options.clientKeyId !== undefined ? { clientKeyId: options.clientKeyId } : {}),
    };
    try {
      await this.redisCall(() => queue.add(JobName.Upstream, data, { jobId: requestId, ...o.queues.retention }));
    } catch (err) {
      unlisten();
      await releaseReservation(o.redis, { accountMap: o.queues.redisKeys.accountOfKey(), base, requestId, quota }).catch(() => undefined);
      throw err;
    }
    options.onQueued?.({
      requestId,
      acceptedAt,
      estimatedWaitMs: decision.estimatedWaitMs,
      position: async () => ((await o.redis.zrank(quota === 'paid' ? keyPaidPendingOf(base) : keyPendingOf(base), requestId)) ?? -1) + 1,
    });

    const onAbort = (): void => settle?.reject(new ClientGoneError('client disconnected'));
    const fail = (err: unknown): void => settle?.reject(err);
    this.waiting.add(fail);
    try {
      // (The stream may have started while the job was being added.)
      if (!streaming) armTimer(deadline.timeoutMs, () => new DeadlinePassed());
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
      await done;
    } catch (err) {
      const neverStarted = await this.cancel(requestId, key.id, base, quota);
      if (err instanceof DeadlinePassed) throw timeoutError(deadline, neverStarted ? Date.now() - acceptedAt : undefined);
      throw err;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(fail);
      options.signal.removeEventListener('abort', onAbort);
      unlisten();
    }
  }

  /**
   * Removes a still-waiting job (no quota spent) or tells the worker running it to abort.
   * True when the job was removed while waiting, so it never started.
   */
  private async cancel(requestId: string, keyId: string, base: string, quota: RequestQuota): Promise<boolean> {
    const { o } = this;
    try {
      await cancelRequest(o.redis, o.queues.redisKeys, requestId);
      const removed = await o.queues.queueFor(keyId, quota).remove(requestId);
      if (removed === 1) await releaseReservation(o.redis, { accountMap: o.queues.redisKeys.accountOfKey(), base, requestId, quota });
      return removed === 1;
    } catch (err) {
      o.logger.warn({ err, requestId }, 'could not cancel a request');
      return false;
    }
  }

  /** Redis failures on the request path become a 503 at once. */
  private redisCall<T>(fn: () => Promise<T>): Promise<T> {
    return orRedisUnavailable('the gateway cannot queue requests right now', fn);
  }
}

/** The deadline as a refusal or timeout names it, e.g. "your client's timeout (X-Stainless-Timeout: 5 s)". */
function describe(deadline: ClientDeadline): string {
  const seconds = `${Math.round(deadline.timeoutMs / 100) / 10} s`;
  switch (deadline.source) {
    case 'QUEUE_TIMEOUT_MS':
      return `QUEUE_TIMEOUT_MS (${seconds})`;
    case 'X-Queue-Timeout':
      return `your X-Queue-Timeout (${seconds})`;
    case 'X-Stainless-Timeout':
    case 'X-Stainless-Read-Timeout':
      return `your client's timeout (${deadline.source}: ${seconds})`;
  }
}

/**
 * The request could not start before its client gives up: refused now rather than left to time
 * out. `x-should-retry: false`: the SDKs would retry at once and be refused again; Retry-After
 * says when the same deadline would fit.
 */
function tooLongError(estimatedWaitMs: number, deadline: ClientDeadline): RateLimitedError {
  const upstreamMs = deadline.timeoutMs - deadline.maxWaitMs;
  const fromClient = deadline.source !== 'QUEUE_TIMEOUT_MS';
  return new RateLimitedError(
    `Every key is busy: the estimated wait of ${Math.ceil(estimatedWaitMs / 1000)} s before this request could start ` +
      `is longer than ${describe(deadline)} allows, keeping ${upstreamMs} ms for the upstream call. ` +
      `Nothing was queued; retry after Retry-After${fromClient ? ', or allow a longer timeout' : ''}.`,
    estimatedWaitMs - deadline.maxWaitMs,
    {
      code: fromClient ? 'queue_wait_exceeds_timeout' : 'queue_full',
      headers: { 'x-should-retry': 'false', [QUEUE_HEADERS.estimate]: String(Math.round(estimatedWaitMs)) },
    },
  );
}

function streamTimeoutMessage(deadline: ClientDeadline): string {
  return `The stream ran past QUEUE_TIMEOUT_MS (${Math.round(deadline.ceilingMs / 100) / 10} s) and was cut off.`;
}

/** `waitedMs`: set when the job was still waiting, so its whole wait was queue time (X-Queue-Wait-Ms). */
function timeoutError(deadline: ClientDeadline, waitedMs: number | undefined): GatewayTimeoutError {
  if (waitedMs === undefined) return new GatewayTimeoutError(`No answer within ${describe(deadline)}; the request was cancelled.`);
  return new GatewayTimeoutError(
    `No answer within ${describe(deadline)}: the request waited ${Math.round(waitedMs / 100) / 10} s in the queue and never started; nothing was sent upstream.`,
    { headers: { [QUEUE_HEADERS.wait]: String(Math.max(0, Math.round(waitedMs))) } },
  );
}
