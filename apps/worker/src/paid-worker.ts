import { Worker } from 'bullmq';
import type { RedisClient } from '@ork/shared';
import { PAID_QUEUE_NAME, queuePrefix, type JobRetention, type UpstreamJobData, type UpstreamJobResult } from '@ork/shared';
import { upstreamJobHandler } from './job-handler.js';
import { IDLE_BLOCK_SECONDS, LOCK_DURATION_MS, MAX_STALLED_COUNT, STALLED_INTERVAL_MS } from './worker-options.js';
import type { KeyWorkerContext } from './worker-context.js';

export interface PaidWorkerOptions {
  connection: RedisClient;
  prefix: string;
  name: string;
  /** Requests this process runs at once, over all keys. */
  concurrency: number;
  /** What a finished job keeps (JOB_RETENTION_SECONDS), as on the key queues. */
  retention: JobRetention;
  /** Finished jobs are retained and must not keep their prompts (JOB_RETENTION_KEEP_PROMPTS off). */
  forgetPrompts: boolean;
}

/**
 * Runs paid-model requests from the one paid queue, each on the key it was routed to (`keyId`),
 * through the same job runner as the key queues. Nothing holds this queue back: paid models
 * count toward none of the free-model limits, so they never wait for a key's free slot.
 */
export function startPaidWorker(contexts: ReadonlyMap<string, KeyWorkerContext>, o: PaidWorkerOptions): Worker<UpstreamJobData, UpstreamJobResult> {
  const fallback = [...contexts.values()][0];
  const handle = upstreamJobHandler({
    // A key no longer configured: any key can serve a paid request.
    contextFor: (data) => contexts.get(data.keyId ?? '') ?? fallback,
    forgetPrompts: o.forgetPrompts,
    logFields: { quota: 'paid' },
  });
  const worker = new Worker<UpstreamJobData, UpstreamJobResult>(PAID_QUEUE_NAME, handle, {
    connection: o.connection,
    prefix: queuePrefix(o.prefix, PAID_QUEUE_NAME),
    name: o.name,
    concurrency: o.concurrency,
    // BullMQ's manual rate limiting needs a limiter; this one never binds.
    limiter: { max: 1_000_000_000, duration: 1_000 },
    autorun: false,
    // One queue: BullMQ's own stalled-job check (one script per 5 s) costs nothing worth saving.
    lockDuration: LOCK_DURATION_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
    drainDelay: IDLE_BLOCK_SECONDS,
    ...o.retention,
  });
  return worker;
}
