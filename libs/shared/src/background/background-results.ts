import { hostname } from 'node:os';
import type { RedisClient } from '../redis/redis-client.js';
import type { Logger } from 'pino';
import { decodeReply } from '../reply/reply-message.js';
import { sleep } from '../util/time.js';
import type { BackgroundBacklog } from './background-backlog.js';
import { BACKGROUND_REPLY_TO } from './background-item.js';
import { itemOutcome } from './item-outcome.js';
import { resultLine } from './batch-lines.js';
import type { BatchStore } from './batch-store.js';
import type { CallbackSender } from './callback-sender.js';

/** Consumer group of every worker process on the background reply stream. */
const GROUP = 'background';
/** A reply a consumer took and did not acknowledge (it died) is taken over after this. */
const CLAIM_IDLE_MS = 30_000;

/**
 * Reads the answers of background items (the key queues reply to BACKGROUND_REPLY_TO) in a
 * consumer group, so with many worker processes each answer is handled once, and one a process
 * took before dying is claimed by another. Stores the result, moves the batch's counts, and
 * schedules the callback.
 */
export class BackgroundResults {
  private closed = false;
  private loop: Promise<void> | undefined;
  private readonly consumer = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly stream: string;

  constructor(
    /** A connection of its own: XREADGROUP BLOCK holds it. */
    private readonly blocking: RedisClient,
    private readonly redis: RedisClient,
    private readonly backlog: BackgroundBacklog,
    private readonly batches: BatchStore,
    private readonly callbacks: CallbackSender,
    private readonly logger: Logger,
  ) {
    this.stream = backlog.keys.replies(BACKGROUND_REPLY_TO);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  private async run(): Promise<void> {
    let ready = false;
    let lastClaim = 0;
    while (!this.closed) {
      try {
        if (!ready) {
          await this.ensureGroup();
          ready = true;
        }
        if (Date.now() - lastClaim > CLAIM_IDLE_MS / 2) {
          lastClaim = Date.now();
          const claimed = (await this.redis.xautoclaim(this.stream, GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', 100)) as [string, [string, string[]][]];
          await this.handleAll(claimed[1] ?? []);
        }
        const reply = (await this.blocking.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', this.stream, '>')) as
          | [string, [string, string[]][]][]
          | null;
        await this.handleAll(reply?.[0]?.[1] ?? []);
      } catch (err) {
        if (this.closed) break;
        // The stream expired with its group (nothing written for an hour): make it again.
        if (err instanceof Error && err.message.includes('NOGROUP')) ready = false;
        else this.logger.warn({ err }, 'background reply read failed; retrying');
        await sleep(250);
      }
    }
  }

  private async handleAll(entries: [string, string[]][]): Promise<void> {
    for (const [id, fields] of entries) {
      if (!Array.isArray(fields)) continue;
      let itemId: string | undefined;
      let raw: string | undefined;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'rid') itemId = fields[i + 1];
        else if (fields[i] === 'm') raw = fields[i + 1];
      }
      if (itemId !== undefined && raw !== undefined) await this.handle(itemId, raw);
      await this.redis.multi().xack(this.stream, GROUP, id).xdel(this.stream, id).exec();
    }
  }

  private async handle(itemId: string, raw: string): Promise<void> {
    const outcome = itemOutcome(decodeReply(raw));
    if (!outcome) return;
    const item = await this.backlog.item(itemId);
    // Already finished (a repeated answer) or cancelled while it ran: nothing more to do.
    if (!item || item.status !== 'dispatched') return;
    if (outcome.kind === 'requeue') {
      if (item.batchId !== undefined && (await this.batches.statusOf(item.batchId)) !== 'in_progress') {
        await this.backlog.finish(item.id, 'cancelled', undefined, undefined);
        await this.batches.recordDropped(item.batchId, 1);
        return;
      }
      await this.backlog.requeue(item);
      return;
    }
    // A batch line's answer lives on in the batch's result list only.
    await this.backlog.finish(item.id, outcome.status, outcome.httpStatus, item.batchId === undefined ? outcome.body : undefined);
    if (item.batchId !== undefined) {
      const ok = outcome.status === 'completed';
      await this.batches.recordLine(item.batchId, ok, resultLine(item.id, item.customId ?? '', outcome.httpStatus, outcome.body));
    }
    if (item.callbackUrl !== undefined) await this.callbacks.schedule(item.id, 0);
    this.logger.debug({ itemId, status: outcome.httpStatus }, 'background item answered');
  }

  /** Stops reading; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.blocking.disconnect();
    await this.loop;
  }
}
