import type { RedisClient } from '../redis/redis-client.js';
import { LuaScript } from '../limits/lua-script.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import { decodeItem, type BackgroundItem, type BackgroundLane, type BackgroundRequest } from './background-item.js';

const planScript = new LuaScript('background-plan');
const commitScript = new LuaScript('background-commit');
const joinScript = new LuaScript('background-join');

/** A background item waiting longest in the backlog this long expires unanswered. */
export const BACKLOG_WAIT_MAX_MS = 86_400_000;

export interface NewItem {
  id: string;
  clientId: string;
  request: BackgroundRequest;
  customId?: string;
  line?: number;
  callbackUrl?: string;
}

export interface Peeked {
  clientId: string;
  lane: BackgroundLane;
  itemId: string;
  batchId: string | undefined;
}

/** Items per pipeline when a batch is queued. */
const SUBMIT_CHUNK = 500;

/**
 * Our own backlog of background work, per client (RedisKeys.background*): async jobs in one list
 * per client, batch lines in one list per batch, clients in a fair-share zset. Nothing here goes
 * near a key queue; the dispatcher moves items from here when a key has room.
 */
export class BackgroundBacklog {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: RedisKeys,
    /** BACKGROUND_RESULT_TTL_SECONDS */
    readonly resultTtlSeconds: number,
  ) {}

  /** What a waiting item may live: the longest wait, then the result's retention. */
  private get waitingTtlSeconds(): number {
    return Math.ceil(BACKLOG_WAIT_MAX_MS / 1000) + this.resultTtlSeconds;
  }

  private itemFields(item: NewItem, lane: BackgroundLane, now: number, batchId?: string): Record<string, string> {
    const fields: Record<string, string> = {
      client: item.clientId,
      lane,
      status: 'queued',
      createdAt: String(now),
      request: JSON.stringify(item.request),
    };
    if (batchId !== undefined) fields.batch = batchId;
    if (item.customId !== undefined) fields.customId = item.customId;
    if (item.line !== undefined) fields.line = String(item.line);
    if (item.callbackUrl !== undefined) fields.callbackUrl = item.callbackUrl;
    return fields;
  }

  async submitAsync(item: NewItem): Promise<void> {
    const now = Date.now();
    const k = this.keys;
    const jobs = k.asyncJobsOf(item.clientId);
    await this.redis
      .multi()
      .hset(k.backgroundItem(item.id), this.itemFields(item, 'async', now))
      .expire(k.backgroundItem(item.id), this.waitingTtlSeconds)
      .rpush(k.backgroundAsyncBacklog(item.clientId), item.id)
      .zadd(jobs, now, item.id)
      // Entries whose item expired are pruned when the list is read.
      .expire(jobs, this.waitingTtlSeconds)
      .exec();
    await joinScript.run(this.redis, [k.backgroundClients()], [item.clientId]);
  }

  /** Queues a batch's lines (already validated) behind the client's earlier batches. */
  async submitBatch(batchId: string, clientId: string, items: readonly NewItem[]): Promise<void> {
    const now = Date.now();
    const k = this.keys;
    for (let i = 0; i < items.length; i += SUBMIT_CHUNK) {
      const tx = this.redis.multi();
      const chunk = items.slice(i, i + SUBMIT_CHUNK);
      for (const item of chunk) {
        tx.hset(k.backgroundItem(item.id), this.itemFields(item, 'batch', now, batchId)).expire(k.backgroundItem(item.id), this.waitingTtlSeconds);
      }
      tx.rpush(k.batchBacklog(batchId), ...chunk.map((it) => it.id)).expire(k.batchBacklog(batchId), this.waitingTtlSeconds);
      await tx.exec();
    }
    if (items.length === 0) return;
    await this.redis.rpush(k.backgroundClientBatches(clientId), batchId);
    await joinScript.run(this.redis, [k.backgroundClients()], [clientId]);
  }

  async item(id: string): Promise<BackgroundItem | undefined> {
    return decodeItem(id, await this.redis.hgetall(this.keys.backgroundItem(id)));
  }

  /** The next `limit` items in fair-share order (weights: client id → weight), left in place. */
  async plan(limit: number, weights: Record<string, number>): Promise<Peeked[]> {
    const k = this.keys;
    const reply = (await planScript.run(this.redis, [k.backgroundClients()], [
      k.backgroundAsyncBacklogPrefix(),
      k.backgroundClientBatchesPrefix(),
      k.batchBacklogPrefix(),
      limit,
      JSON.stringify(weights),
    ])) as string[];
    const planned: Peeked[] = [];
    for (let i = 0; i + 3 < reply.length; i += 4) {
      const [clientId = '', lane, itemId = '', batchId] = reply.slice(i, i + 4);
      planned.push({ clientId, lane: lane === 'batch' ? 'batch' : 'async', itemId, batchId: batchId === '' || batchId === undefined ? undefined : batchId });
    }
    return planned;
  }

  private backlogOf(p: { lane: BackgroundLane; clientId: string; batchId?: string | undefined }): string {
    if (p.lane === 'async') return this.keys.backgroundAsyncBacklog(p.clientId);
    if (p.batchId === undefined) throw new Error('a batch item needs its batch id');
    return this.keys.batchBacklog(p.batchId);
  }

  /** Takes a planned item out of the backlog, advancing its client's virtual time by 1/weight. False: cancelled meanwhile. */
  async commit(p: Peeked, weight: number, inflightUntil: number, keyId: string): Promise<boolean> {
    const k = this.keys;
    const taken = await commitScript.run(
      this.redis,
      [this.backlogOf(p), k.backgroundClients(), k.backgroundInflight(), k.backgroundItem(p.itemId)],
      [p.itemId, p.clientId, 1 / weight, inflightUntil, Date.now(), keyId],
    );
    return taken === 1;
  }

  /** Takes an item out without dispatching it (its batch was cancelled, its record expired). */
  async discard(p: Peeked): Promise<void> {
    await this.redis.lrem(this.backlogOf(p), 1, p.itemId);
  }

  /** Back to the head of its backlog: the key queue could not run it (no capacity left today, lost). */
  async requeue(item: BackgroundItem): Promise<void> {
    const k = this.keys;
    const tx = this.redis
      .multi()
      .hset(k.backgroundItem(item.id), 'status', 'queued')
      .hdel(k.backgroundItem(item.id), 'keyId', 'dispatchedAt')
      .zrem(k.backgroundInflight(), item.id)
      .lpush(this.backlogOf({ lane: item.lane, clientId: item.clientId, batchId: item.batchId }), item.id);
    if (item.batchId !== undefined) tx.lpush(k.backgroundClientBatches(item.clientId), item.batchId);
    await tx.exec();
    await joinScript.run(this.redis, [k.backgroundClients()], [item.clientId]);
  }

  /** Items whose key-queue run should have answered by now (a lost job, a worker that dropped it). */
  async overdue(now: number, max = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.backgroundInflight(), '-inf', now, 'LIMIT', 0, max);
  }

  async clearInflight(itemId: string): Promise<void> {
    await this.redis.zrem(this.keys.backgroundInflight(), itemId);
  }

  /** Removes a waiting async job from its backlog; false when it was not waiting there. */
  async withdrawAsync(clientId: string, itemId: string): Promise<boolean> {
    return (await this.redis.lrem(this.keys.backgroundAsyncBacklog(clientId), 1, itemId)) === 1;
  }

  /** Drops every line of a batch still waiting; returns how many. */
  async withdrawBatch(batchId: string): Promise<number> {
    const key = this.keys.batchBacklog(batchId);
    const reply = await this.redis.multi().llen(key).del(key).exec();
    return Number(reply?.[0]?.[1] ?? 0);
  }

  /** 1-based place of a waiting async job in its client's own backlog; 0 once dispatched. */
  async asyncPosition(clientId: string, itemId: string): Promise<number> {
    const at = await this.redis.lpos(this.keys.backgroundAsyncBacklog(clientId), itemId);
    return at === null ? 0 : at + 1;
  }

  /** Clients with work waiting (for status): id → waiting items. */
  async waitingClients(): Promise<number> {
    return this.redis.zcard(this.keys.backgroundClients());
  }

  /** Marks an item finished with its result, kept for BACKGROUND_RESULT_TTL_SECONDS. */
  async finish(itemId: string, status: 'completed' | 'failed' | 'cancelled', resultStatus: number | undefined, resultBody: string | undefined): Promise<void> {
    const k = this.keys;
    const fields: Record<string, string> = { status, finishedAt: String(Date.now()), request: '' };
    if (resultStatus !== undefined) fields.resultStatus = String(resultStatus);
    if (resultBody !== undefined) fields.resultBody = resultBody;
    await this.redis
      .multi()
      .hset(k.backgroundItem(itemId), fields)
      .expire(k.backgroundItem(itemId), this.resultTtlSeconds)
      .zrem(k.backgroundInflight(), itemId)
      .exec();
  }
}
