import type { UpstreamJobData } from './upstream-job.js';

/** Most finished jobs kept per key and state, whatever JOB_RETENTION_SECONDS says. */
export const RETAINED_JOBS_MAX = 1_000;

/** BullMQ's removeOnComplete / removeOnFail for one retention. */
export interface JobRetention {
  removeOnComplete: { age?: number; count: number };
  removeOnFail: { age?: number; count: number };
}

/**
 * How long finished jobs (and the prompt in their data) stay in Redis for Bull Board
 * (JOB_RETENTION_SECONDS): by default not at all. BullMQ applies age and count only when another
 * job finishes on the same key, so workers also clean idle keys (KeyQueues.cleanFinished).
 */
export function jobRetention(seconds: number): JobRetention {
  // count 0: removed as it finishes (the form both job and worker options take).
  if (seconds === 0) return { removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } };
  const bound = { age: seconds, count: RETAINED_JOBS_MAX };
  return { removeOnComplete: bound, removeOnFail: bound };
}

/**
 * What a finished job kept for Bull Board (JOB_RETENTION_SECONDS) holds unless the operator asks
 * for prompts too (JOB_RETENTION_KEEP_PROMPTS): the request without its body, the model aside.
 */
export function withoutPromptText(data: UpstreamJobData): UpstreamJobData {
  const model = data.body.model;
  return { ...data, body: typeof model === 'string' ? { model } : {} };
}
