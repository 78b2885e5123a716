import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';
import { encodeReply, type ReplyMessage } from './reply-message.js';
import type { LocalReplies } from './local-replies.js';

/** Bound on an unread reply stream (an API process that died); entries are small summaries or bodies. */
const REPLY_STREAM_MAX = 50_000;
/** A reply stream nobody reads vanishes after this. */
const REPLY_STREAM_TTL_MS = 3_600_000;

/**
 * Writes that ride along with a reply in the same round trip (usage counters, generation owners):
 * groups of commands, each on the keys of one hash slot, so that on a Redis Cluster (where one
 * pipeline may not span slots) each group can go on its own.
 */
export type PipelineWrites = readonly ((pipeline: ChainableCommander) => void)[];

function isCluster(redis: RedisClient): boolean {
  return 'isCluster' in redis && redis.isCluster;
}

/** Runs `groups`: one pipeline on a single Redis, one per group (in parallel) on a cluster. */
export async function runWrites(redis: RedisClient, groups: PipelineWrites): Promise<void> {
  if (groups.length === 0) return;
  if (isCluster(redis)) {
    await Promise.all(
      groups.map((group) => {
        const pipeline = redis.pipeline();
        group(pipeline);
        return execPipeline(pipeline);
      }),
    );
    return;
  }
  const pipeline = redis.pipeline();
  for (const group of groups) group(pipeline);
  await execPipeline(pipeline);
}

/** Runs a pipeline and throws its first command error (a pipeline, unlike a promise, reports them per command). */
export async function execPipeline(pipeline: ChainableCommander): Promise<void> {
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

/**
 * Worker side of the reply path: appends to the waiting API process's own stream. One pipeline
 * per message, no MULTI: nothing here needs the writes to be atomic, only to be in order.
 */
export class ReplyWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    /** API processes that run in this process (`npm start`): their replies are handed over in memory. */
    private readonly local?: LocalReplies,
  ) {}

  /**
   * `before` is written first (in the same round trip on a single Redis), so the API never sees the
   * reply before it. Sends for one request must be awaited in turn: each is delivered in order.
   */
  async send(replyTo: string, requestId: string, message: ReplyMessage, before: PipelineWrites = []): Promise<void> {
    // Remembered so a re-run of the job (its worker died mid-stream) does not stream it twice.
    const starts = message.type === 'stream-start';
    const markStarted = (pipeline: ChainableCommander): void => {
      pipeline.set(this.keys.streamStarted(requestId), '1', 'PX', REPLY_STREAM_TTL_MS);
    };
    const inbox = this.local?.inboxOf(replyTo);
    if (inbox) {
      await runWrites(this.redis, starts ? [...before, markStarted] : before);
      inbox.deliver(requestId, message);
      return;
    }
    const stream = this.keys.replies(replyTo);
    const reply = (pipeline: ChainableCommander): void => {
      if (starts) markStarted(pipeline);
      pipeline.xadd(stream, 'MAXLEN', '~', REPLY_STREAM_MAX, '*', 'rid', requestId, 'm', encodeReply(message)).pexpire(stream, REPLY_STREAM_TTL_MS);
    };
    if (isCluster(this.redis)) {
      await runWrites(this.redis, before);
      await runWrites(this.redis, [reply]);
      return;
    }
    await runWrites(this.redis, [...before, reply]);
  }

  /** True when some worker already began streaming this request's answer to its client. */
  async streamStarted(requestId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.streamStarted(requestId))) === 1;
  }
}
