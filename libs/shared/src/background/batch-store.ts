import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import type { FileStore } from './file-store.js';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** OpenAI's Batch object, plus `estimated_completion_at` (ours; also in `metadata`). */
export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  /** Epoch seconds the rest of the batch is expected to be done by (null once finished). */
  estimated_completion_at: number | null;
}

export function newBatchId(): string {
  return `batch_${randomBytes(12).toString('hex')}`;
}

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const secs = (ms: number): number => Math.floor(ms / 1000);

export interface NewBatch {
  id: string;
  ownerId: string;
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  windowMs: number;
  metadata: Record<string, string> | null;
  total: number;
}

/** The pool's pace, for the completion estimate. */
export interface PoolPace {
  /** Least ms between two starts over the whole pool. */
  msPerRequest: number;
  /** Epoch ms the dispatcher saw no capacity left before (a UTC reset), if it did. */
  blockedUntil: number | undefined;
  /** Requests the pool can start in a whole day (0: no daily cap). */
  perDay: number;
}

/** Expected end of `remaining` requests from `now`, waiting out a day's end when today is spent. */
export function estimateCompletion(remaining: number, now: number, pace: PoolPace): number {
  if (remaining <= 0) return now;
  let at = pace.blockedUntil !== undefined && pace.blockedUntil > now ? pace.blockedUntil : now;
  if (pace.perDay > 0 && remaining > pace.perDay) {
    // Whole days of the pool's daily capacity, each ending at a reset.
    const days = Math.floor(remaining / pace.perDay);
    at += days * 86_400_000;
    remaining -= days * pace.perDay;
  }
  return at + remaining * pace.msPerRequest;
}

/**
 * Batches (RedisKeys.batch): OpenAI's fields in a hash, counters moved atomically as lines finish,
 * result lines in two lists that become the output and error files when the last line is done.
 */
export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly files: FileStore,
    /** BACKGROUND_RESULT_TTL_SECONDS */
    private readonly ttlSeconds: number,
  ) {}

  /** Kept while it can still run, then for the retention. */
  private liveTtl(windowMs: number): number {
    return Math.ceil(windowMs / 1000) + this.ttlSeconds;
  }

  async create(b: NewBatch, errorLines: readonly string[]): Promise<void> {
    const now = Date.now();
    const k = this.keys;
    const ttl = this.liveTtl(b.windowMs);
    const tx = this.redis
      .multi()
      .hset(k.batch(b.id), {
        owner: b.ownerId,
        endpoint: b.endpoint,
        input_file_id: b.inputFileId,
        completion_window: b.completionWindow,
        status: 'in_progress',
        created_at: String(secs(now)),
        in_progress_at: String(secs(now)),
        expires_at: String(secs(now + b.windowMs)),
        metadata: JSON.stringify(b.metadata),
        total: String(b.total),
        completed: '0',
        failed: String(errorLines.length),
        dropped: '0',
      })
      .expire(k.batch(b.id), ttl)
      .zadd(k.batchesOf(b.ownerId), now, b.id)
      .expire(k.batchesOf(b.ownerId), ttl);
    if (errorLines.length > 0) tx.rpush(k.batchResults(b.id, 'error'), ...errorLines).expire(k.batchResults(b.id, 'error'), ttl);
    await tx.exec();
    if (errorLines.length >= b.total) await this.finalize(b.id);
  }

  private async raw(id: string): Promise<Record<string, string> | undefined> {
    const h = await this.redis.hgetall(this.keys.batch(id));
    return h.owner === undefined ? undefined : h;
  }

  async ownerOf(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.batch(id), 'owner')) ?? undefined;
  }

  async statusOf(id: string): Promise<BatchStatus | undefined> {
    return ((await this.redis.hget(this.keys.batch(id), 'status')) ?? undefined) as BatchStatus | undefined;
  }

  /** Whether a batch's waiting lines may still run: `past-window` once `expires_at` has passed. */
  async runState(id: string): Promise<'runnable' | 'past-window' | 'stopped' | 'gone'> {
    const [status, expiresAt] = await this.redis.hmget(this.keys.batch(id), 'status', 'expires_at');
    if (status === null) return 'gone';
    if (status !== 'in_progress') return 'stopped';
    return Number(expiresAt ?? 0) * 1000 <= Date.now() ? 'past-window' : 'runnable';
  }

  async get(id: string, ownerId: string, pace: PoolPace): Promise<BatchObject | undefined> {
    const h = await this.raw(id);
    if (!h || h.owner !== ownerId) return undefined;
    return view(id, h, pace);
  }

  /** The caller's batches, newest first, OpenAI's cursor pagination (`after` = last id of the previous page). */
  async list(ownerId: string, after: string | undefined, limit: number, pace: PoolPace): Promise<{ data: BatchObject[]; has_more: boolean }> {
    const index = this.keys.batchesOf(ownerId);
    let start = 0;
    if (after !== undefined) {
      const rank = await this.redis.zrevrank(index, after);
      if (rank === null) return { data: [], has_more: false };
      start = rank + 1;
    }
    const ids = await this.redis.zrevrange(index, start, start + limit);
    const data: BatchObject[] = [];
    for (const id of ids.slice(0, limit)) {
      const h = await this.raw(id);
      if (h) data.push(view(id, h, pace));
      else await this.redis.zrem(index, id);
    }
    return { data, has_more: ids.length > limit };
  }

  /** One line finished: its result line is kept and the counts move; the last one finalizes the batch. */
  async recordLine(batchId: string, ok: boolean, line: string): Promise<void> {
    const k = this.keys;
    const list = k.batchResults(batchId, ok ? 'output' : 'error');
    const reply = await this.redis
      .multi()
      .rpush(list, line)
      .expire(list, this.liveTtl(86_400_000))
      .hincrby(k.batch(batchId), ok ? 'completed' : 'failed', 1)
      .hmget(k.batch(batchId), 'total', 'completed', 'failed', 'dropped')
      .exec();
    const counts = (reply?.[3]?.[1] ?? []) as (string | null)[];
    if (isDone(counts)) await this.finalize(batchId);
  }

  /** Lines that will never run (cancelled, expired) counted off. */
  async recordDropped(batchId: string, n: number): Promise<void> {
    const k = this.keys;
    const reply = await this.redis.multi().hincrby(k.batch(batchId), 'dropped', n).hmget(k.batch(batchId), 'total', 'completed', 'failed', 'dropped').exec();
    const counts = (reply?.[1]?.[1] ?? []) as (string | null)[];
    if (isDone(counts)) await this.finalize(batchId);
  }

  /** Marks the batch cancelling (or expired); false when it has finished already. */
  async markStopping(batchId: string, status: 'cancelling' | 'expired'): Promise<boolean> {
    const current = await this.statusOf(batchId);
    if (current !== 'in_progress' && current !== 'validating') return false;
    const field = status === 'cancelling' ? 'cancelling_at' : 'expired_at';
    await this.redis.hset(this.keys.batch(batchId), { status, [field]: String(secs(Date.now())) });
    return true;
  }

  /** Every line done: the result lists become files, the batch its final status; once only. */
  async finalize(batchId: string): Promise<void> {
    const k = this.keys;
    if ((await this.redis.hsetnx(k.batch(batchId), 'finalized', '1')) === 0) return;
    const h = await this.raw(batchId);
    if (!h) return;
    const now = Date.now();
    await this.redis.hset(k.batch(batchId), { status: 'finalizing', finalizing_at: String(secs(now)) });
    const fields: Record<string, string> = {};
    for (const kind of ['output', 'error'] as const) {
      const lines = await this.redis.lrange(k.batchResults(batchId, kind), 0, -1);
      if (lines.length === 0) continue;
      const file = await this.files.create({ ownerId: h.owner ?? '', filename: `${batchId}_${kind}.jsonl`, purpose: 'batch_output', content: `${lines.join('\n')}\n` });
      fields[kind === 'output' ? 'output_file_id' : 'error_file_id'] = file.id;
    }
    const final: BatchStatus = h.status === 'cancelling' ? 'cancelled' : h.status === 'expired' ? 'expired' : 'completed';
    fields.status = final;
    if (final === 'cancelled') fields.cancelled_at = String(secs(now));
    if (final === 'completed') fields.completed_at = String(secs(now));
    await this.redis
      .multi()
      .hset(k.batch(batchId), fields)
      .expire(k.batch(batchId), this.ttlSeconds)
      .del(k.batchResults(batchId, 'output'), k.batchResults(batchId, 'error'))
      .exec();
  }
}

function isDone(counts: readonly (string | null)[]): boolean {
  const [total, completed, failed, dropped] = counts.map((c) => Number(c ?? 0));
  return (total ?? 0) > 0 && (completed ?? 0) + (failed ?? 0) + (dropped ?? 0) >= (total ?? 0);
}

function view(id: string, h: Record<string, string>, pace: PoolPace): BatchObject {
  const total = Number(h.total ?? 0);
  const completed = Number(h.completed ?? 0);
  const failed = Number(h.failed ?? 0);
  const dropped = Number(h.dropped ?? 0);
  const status = (h.status ?? 'in_progress') as BatchStatus;
  const running = status === 'in_progress' || status === 'cancelling';
  const estimate = running ? secs(estimateCompletion(total - completed - failed - dropped, Date.now(), pace)) : null;
  const metadata = h.metadata ? (JSON.parse(h.metadata) as Record<string, string> | null) : null;
  return {
    id,
    object: 'batch',
    endpoint: h.endpoint ?? '',
    errors: null,
    input_file_id: h.input_file_id ?? '',
    completion_window: h.completion_window ?? '24h',
    status,
    output_file_id: h.output_file_id ?? null,
    error_file_id: h.error_file_id ?? null,
    created_at: Number(h.created_at ?? 0),
    in_progress_at: num(h.in_progress_at),
    expires_at: Number(h.expires_at ?? 0),
    finalizing_at: num(h.finalizing_at),
    completed_at: num(h.completed_at),
    failed_at: num(h.failed_at),
    expired_at: num(h.expired_at),
    cancelling_at: num(h.cancelling_at),
    cancelled_at: num(h.cancelled_at),
    request_counts: { total, completed, failed },
    metadata: estimate === null ? metadata : { ...(metadata ?? {}), estimated_completion_at: String(estimate) },
    estimated_completion_at: estimate,
  };
}
