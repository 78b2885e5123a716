/**
 * How long finished jobs (and the prompt in their data) stay in Redis for Bull Board:
 * completed for 1 hour (at most 1,000 per key), failed for 24 hours (at most 5,000 per key).
 */
export const JOB_RETENTION = {
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 86_400, count: 5_000 },
} as const;
