import { Queue } from 'bullmq';
import { keyQueueName, queuePrefix, upstreamKeyId } from '@ork/shared';
import type { Stack } from './stack.js';

/**
 * The worker processes (BullMQ's `processedBy`) that completed the stack's jobs, read from the
 * key queues; the stack must keep finished jobs (JOB_RETENTION_SECONDS) for them to be seen.
 */
export async function workersThatRan(stack: Stack): Promise<Set<string>> {
  const processedBy = new Set<string>();
  for (const key of stack.keys) {
    const name = keyQueueName(upstreamKeyId(key));
    const queue = new Queue(name, { connection: stack.redis, prefix: queuePrefix(stack.prefix, name) });
    for (const job of await queue.getCompleted(0, -1)) processedBy.add(job.processedBy ?? '');
    await queue.close();
  }
  return processedBy;
}
