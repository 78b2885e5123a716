import { z } from 'zod';

/** Job names of the per-key queues. WARNING: renaming strands queued jobs of a running deployment. */
export enum JobName {
  Upstream = 'upstream',
}

/** OpenRouter's POST routes that run a model: each goes through a key's queue. Also the upstream path. */
export const UPSTREAM_ENDPOINTS = ['chat/completions', 'completions', 'responses', 'embeddings'] as const;
export type UpstreamEndpoint = (typeof UPSTREAM_ENDPOINTS)[number];

/** Client headers forwarded to OpenRouter (its app attribution headers). */
export const PASS_THROUGH_HEADERS = ['http-referer', 'x-title', 'x-openrouter-title'] as const;

/** What the API puts in a key's queue. Holds no upstream key and no client key. */
export const upstreamJobSchema = z.object({
  requestId: z.uuid(),
  /** Reply stream of the API process waiting for the answer. */
  replyTo: z.string().min(1),
  endpoint: z.enum(UPSTREAM_ENDPOINTS),
  body: z.record(z.string(), z.unknown()),
  headers: z.record(z.string(), z.string()),
  /** Epoch ms after which nobody waits for the answer any more. */
  deadline: z.number().int().positive(),
  stream: z.boolean(),
  /** Upstream attempts made so far, this one included. */
  attempt: z.number().int().min(1).default(1),
  /** Times the request moved between key queues; makes each move's job id unique. */
  hop: z.number().int().min(0).default(0),
  /** Epoch ms the API queued the request, kept across moves: queue wait = upstream start - this. */
  enqueuedAt: z.number().int().positive().optional(),
  /** Which limits hold the request (requestQuota()): a `:free` model's, or none but the paid cap. */
  quota: z.enum(['free', 'paid']).default('free'),
  /** The key a paid-model request was routed to (the paid queue is shared by every key). */
  keyId: z.string().min(1).optional(),
  /** The API process beats (RedisKeys.apiHeartbeat(replyTo)); false for jobs queued by older versions. */
  heartbeat: z.boolean().default(false),
  /** The client key it came with (its id, never the key): revoked while waiting, the job is dropped. */
  clientKeyId: z.string().min(1).optional(),
  /** Background work (an async job, a batch line): its BullMQ priority, kept when the job moves. */
  lane: z.enum(['async', 'batch']).optional(),
});
export type UpstreamJobData = z.input<typeof upstreamJobSchema>;
export type ParsedUpstreamJob = z.output<typeof upstreamJobSchema>;

/** The job id of a request's n-th move; the first keeps the request id so the API can remove it. */
export function upstreamJobId(requestId: string, hop: number): string {
  return hop === 0 ? requestId : `${requestId}-h${hop}`;
}

export type UpstreamOutcome = 'answered' | 'cancelled' | 'expired' | 'exhausted' | 'failed' | 'rerouted';

/** Kept as the job's return value: a summary for Bull Board, never the prompt or the answer. */
export interface UpstreamJobResult {
  outcome: UpstreamOutcome;
  status?: number;
  upstreamMs?: number;
  promptTokens?: number;
  completionTokens?: number;
}
