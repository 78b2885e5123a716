import { z } from 'zod';
import { UPSTREAM_ENDPOINTS } from '../jobs/upstream-job.js';

/**
 * Background work waits in lanes of our own, never in the key queues: `async` (async jobs) goes
 * before `batch` (batch lines) within one client's turn.
 */
export type BackgroundLane = 'async' | 'batch';

/** Who a background item belongs to: a client key's id, or this when client keys are off. */
export const ANONYMOUS_CLIENT = 'anonymous';

/**
 * Reply address of background jobs in the key queues (RedisKeys.replies(this)); read by a consumer
 * group of every worker process, not by an API process. WARNING: renaming it strands answers.
 */
export const BACKGROUND_REPLY_TO = 'background';

/**
 * BullMQ priority of background jobs in a key queue. BullMQ takes a queue's non-prioritised jobs
 * (the synchronous requests) before any prioritised one, and among these the lowest number first.
 */
export function backgroundPriority(lane: BackgroundLane): number {
  return lane === 'async' ? 1 : 2;
}

export type BackgroundStatus = 'queued' | 'dispatched' | 'completed' | 'failed' | 'cancelled';

/** The request a background item carries, as checked by the API before it was accepted. */
export const backgroundRequestSchema = z.object({
  endpoint: z.enum(UPSTREAM_ENDPOINTS),
  body: z.record(z.string(), z.unknown()),
  headers: z.record(z.string(), z.string()),
});
export type BackgroundRequest = z.output<typeof backgroundRequestSchema>;

/** One item's hash (RedisKeys.backgroundItem), decoded. */
export interface BackgroundItem {
  id: string;
  clientId: string;
  lane: BackgroundLane;
  status: BackgroundStatus;
  createdAt: number;
  request: BackgroundRequest | undefined;
  batchId?: string;
  customId?: string;
  /** Line number in the batch input file (1-based). */
  line?: number;
  callbackUrl?: string;
  dispatchedAt?: number;
  /** The key queue it was moved into (its id, never the key). */
  keyId?: string;
  finishedAt?: number;
  /** Upstream's (or our refusal's) HTTP status and body, once finished. */
  resultStatus?: number;
  resultBody?: string;
  callbackAttempts?: number;
  callbackStatus?: 'pending' | 'delivered' | 'gave-up';
}

const int = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

export function decodeItem(id: string, h: Record<string, string>): BackgroundItem | undefined {
  if (h.client === undefined || h.lane === undefined) return undefined;
  let request: BackgroundRequest | undefined;
  if (h.request !== undefined && h.request !== '') {
    const parsed = backgroundRequestSchema.safeParse(JSON.parse(h.request));
    if (parsed.success) request = parsed.data;
  }
  const item: BackgroundItem = {
    id,
    clientId: h.client,
    lane: h.lane === 'batch' ? 'batch' : 'async',
    status: (h.status ?? 'queued') as BackgroundStatus,
    createdAt: int(h.createdAt) ?? 0,
    request,
  };
  const opt = {
    batchId: h.batch,
    customId: h.customId,
    line: int(h.line),
    callbackUrl: h.callbackUrl,
    dispatchedAt: int(h.dispatchedAt),
    keyId: h.keyId,
    finishedAt: int(h.finishedAt),
    resultStatus: int(h.resultStatus),
    resultBody: h.resultBody,
    callbackAttempts: int(h.callbackAttempts),
    callbackStatus: h.callbackStatus as BackgroundItem['callbackStatus'],
  };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (item as unknown as Record<string, unknown>)[k] = v;
  return item;
}
