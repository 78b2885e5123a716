import {
  JobName,
  backgroundPriority,
  METRICS,
  routeRequest,
  upstreamJobId,
  type ParsedUpstreamJob,
  type RouteDecision,
} from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

export interface RerouteOptions {
  /** Keys not to go back to (the one that just failed the request). */
  excludeKeyIds: string[];
  delayMs: number;
  attempt: number;
  /** Move only if another key can start the request at least a second sooner than this. */
  soonerThanMs?: number;
}

export type RerouteResult = { kind: 'moved'; keyId: string } | Exclude<RouteDecision, { kind: 'routed' }>;

/**
 * Moves a request to the best other key: a fresh reservation there and a new job carrying the
 * same request id, reply address and deadline, so the waiting client only sees a later answer.
 */
export async function reroute(ctx: KeyWorkerContext, data: ParsedUpstreamJob, o: RerouteOptions): Promise<RerouteResult> {
  const remaining = data.deadline - Date.now() - o.delayMs;
  if (remaining <= 0) return { kind: 'too-long', estimatedWaitMs: o.delayMs };
  const bases = ctx.queues.bases();
  const decision = await routeRequest(ctx.redis, {
    requestId: data.requestId,
    bases,
    exclude: o.excludeKeyIds.map((id) => ctx.redisKeys.keyBase(id)),
    limits: ctx.limits,
    accountMap: ctx.slot.accountMap,
    quota: data.quota,
    moving: o.soonerThanMs !== undefined,
    maxWaitMs: o.soonerThanMs === undefined ? remaining : Math.min(remaining, o.soonerThanMs - 1_000),
  });
  if (decision.kind !== 'routed') return decision;
  const key = ctx.queues.keys[decision.index];
  if (!key) throw new Error('router returned an unknown key');
  const hop = data.hop + 1;
  await ctx.queues.queueFor(key.id, data.quota).add(
    JobName.Upstream,
    { ...data, attempt: o.attempt, hop, ...(data.quota === 'paid' ? { keyId: key.id } : {}) },
    {
      jobId: upstreamJobId(data.requestId, hop),
      delay: o.delayMs,
      ...(data.lane ? { priority: backgroundPriority(data.lane) } : {}),
      ...ctx.queues.retention,
    },
  );
  ctx.metrics.inc(METRICS.limitEvents, { key_id: ctx.key.id, event: 'reroute' });
  return { kind: 'moved', keyId: key.id };
}
