import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import type { KeyQueues } from '@ork/shared';

export interface GatewayOptions {
  redis: Redis;
  queues: KeyQueues;
  replies: ReplyReader;
  /** This API process's reply stream id. */
  instanceId: string;
  limits: KeyLimits;
  queueTimeoutMs: number;
  logger: Logger;
}

export interface QueuedTicket {
  requestId: string;
  estimatedWaitMs: number;
  /** 1-based place among the requests waiting for this key; 0 once started. */
  position(): Promise<number>;
}

export interface SubmitOptions {
  signal: AbortSignal;
  /** The client key's id, when the request came with one: revoked while waiting, the job is dropped. */
  clientKeyId?: string | undefined;
  onMessage(message: ReplyMessage): void;
  onQueued?(ticket: QueuedTicket): void;
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
    const decision = await this.redisCall(() =>
      routeRequest(o.redis, {
        requestId,
        bases: o.queues.bases(),
        limits: o.limits,
        queueTimeoutMs: o.queueTimeoutMs,
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
    if (decision.kind === 'too-long') {
      throw new RateLimitedError(
        `Every key is busy: the estimated wait of ${Math.ceil(decision.estimatedWaitMs / 1000)} s exceeds ` +
          `QUEUE_TIMEOUT_MS (${Math.ceil(o.queueTimeoutMs / 1000)} s). Retry later.`,
        decision.estimatedWaitMs - o.queueTimeoutMs,
        { code: 'queue_full' },
      );
    }
    const key = o.queues.keys[decision.index];
    if (!key) throw new Error('router returned an unknown key');
    const queue = o.queues.queueFor(key.id, quota);
    const base = o.queues.redisKeys.keyBase(key.id);

    let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const unlisten = o.replies.listen(requestId, (message) => {
      try {
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
      deadline: Date.now() + o.queueTimeoutMs,
      stream: request.stream,
      enqueuedAt: Date.now(),
      quota,
      ...(quota === 'paid' ? { keyId: key.id } : {}),
      heartbeat: true,
      ...(options.clientKeyId !== undefined ? { clientKeyId: options.clientKeyId } : {}),
    };
    try {
      await this.redisCall(() => queue.add(JobName.Upstream, data, { jobId: requestId, ...o.queues.retention }));
    } catch (err) {
      unlisten();
      await releaseReservation(o.redis, base, requestId, quota).catch(() => undefined);
      throw err;
    }
    options.onQueued?.({
      requestId,
      estimatedWaitMs: decision.estimatedWaitMs,
      position: async () => ((await o.redis.zrank(quota === 'paid' ? keyPaidPendingOf(base) : keyPendingOf(base), requestId)) ?? -1) + 1,
    });

    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => settle?.reject(new ClientGoneError('client disconnected'));
    const fail = (err: unknown): void => settle?.reject(err);
    this.waiting.add(fail);
    try {
      timer = setTimeout(() => settle?.reject(new GatewayTimeoutError(this.timeoutMessage())), o.queueTimeoutMs);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
      await done;
    } catch (err) {
      await this.cancel(requestId, key.id, base, quota);
      throw err;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(fail);
      options.signal.removeEventListener('abort', onAbort);
      unlisten();
    }
  }

  private timeoutMessage(): string {
    return `No answer within QUEUE_TIMEOUT_MS (${Math.ceil(this.o.queueTimeoutMs / 1000)} s); the request was cancelled.`;
  }

  /** Removes a still-waiting job (no quota spent) or tells the worker running it to abort. */
  private async cancel(requestId: string, keyId: string, base: string, quota: RequestQuota): Promise<void> {
    const { o } = this;
    try {
      await cancelRequest(o.redis, o.queues.redisKeys, requestId);
      const removed = await o.queues.queueFor(keyId, quota).remove(requestId);
      if (removed === 1) await releaseReservation(o.redis, base, requestId, quota);
    } catch (err) {
      o.logger.warn({ err, requestId }, 'could not cancel a request');
    }
  }

  /** Redis failures on the request path become a 503 at once. */
  private redisCall<T>(fn: () => Promise<T>): Promise<T> {
    return orRedisUnavailable('the gateway cannot queue requests right now', fn);
  }
}
