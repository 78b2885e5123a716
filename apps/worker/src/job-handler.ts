import { RateLimitError, type Job } from 'bullmq';
import { JobName, upstreamJobSchema, withoutPromptText, type ParsedUpstreamJob, type UpstreamJobData, type UpstreamJobResult } from '@ork/shared';
import type { Logger } from 'pino';
import { runUpstreamJob } from './run-upstream-job.js';
import type { KeyWorkerContext } from './worker-context.js';

export type UpstreamJob = Job<UpstreamJobData, UpstreamJobResult>;

export interface JobHandlerOptions {
  /** The context that runs this job (its key's), or undefined when no key can. */
  contextFor(data: ParsedUpstreamJob): KeyWorkerContext | undefined;
  /** Finished jobs stay in Redis (JOB_RETENTION_SECONDS > 0) and must not keep their prompts there. */
  forgetPrompts: boolean;
  /** Extra fields for the job's log lines. */
  logFields?: Record<string, string>;
}

/** The BullMQ processor of the key queues and the paid queue: parse, run, hand back or finish. */
export function upstreamJobHandler(o: JobHandlerOptions): (job: UpstreamJob) => Promise<UpstreamJobResult> {
  return async (job) => {
    if (job.name !== (JobName.Upstream as string)) throw new Error(`unknown job name ${job.name}`);
    const data = upstreamJobSchema.parse(job.data);
    const ctx = o.contextFor(data);
    if (!ctx) throw new Error('no upstream key configured');
    const log = ctx.logger.child({ requestId: data.requestId, ...o.logFields });
    let run: Awaited<ReturnType<typeof runUpstreamJob>> | undefined;
    try {
      run = await runUpstreamJob(ctx, data, log);
    } finally {
      // Handed back to its queue, the job still needs its body; finished (or failed), it does not.
      if (o.forgetPrompts && run !== 'requeue') await forgetPrompt(job, log);
    }
    if (run === 'requeue') throw new RateLimitError();
    return run;
  };
}

/** One command, only when finished jobs are retained: Bull Board then shows the job without its body. */
async function forgetPrompt(job: UpstreamJob, log: Logger): Promise<void> {
  await job.updateData(withoutPromptText(job.data)).catch((err: unknown) => log.warn({ err }, 'could not remove the prompt from a finished job'));
}
