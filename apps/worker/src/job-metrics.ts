import { METRICS, UpstreamErrorWindow } from '@ork/shared';
import type { Attempt } from './call-upstream.js';
import type { AttemptVerdict } from './decisions/next-step.js';
import type { Verdict } from './upstream/classify-response.js';
import type { KeyWorkerContext } from './worker-context.js';

/** The outcome label of an upstream answer: what it meant for the request and the key. */
function outcomeOf(verdict: Verdict, status: number): string {
  switch (verdict.kind) {
    case 'deliver':
      return status < 400 ? 'ok' : 'client-error';
    case 'key-cooldown':
      return 'rate-limited';
    case 'key-exhausted':
      return 'exhausted';
    case 'key-disabled':
      return `key-${verdict.reason}`;
    case 'retry':
      return verdict.reason;
  }
}

/** Every failed attempt also lands in the last hour's window the dashboard shows; a lost count is only logged. */
function countError(ctx: KeyWorkerContext, outcome: string): void {
  new UpstreamErrorWindow(ctx.redis, ctx.redisKeys)
    .record(outcome)
    .catch((err: unknown) => ctx.logger.warn({ err }, 'could not count an upstream error for the last hour'));
}

/** Counts one upstream attempt of this key (as judgeAttempt() classified it): outcome and status, latency, tokens, and the queue wait before it. */
export function recordAttempt(ctx: KeyWorkerContext, attempt: Attempt, judged: AttemptVerdict, queueWaitMs: number | undefined): void {
  const key_id = ctx.key.id;
  const m = ctx.metrics;
  if (queueWaitMs !== undefined) m.observe(METRICS.queueWait, { key_id }, queueWaitMs / 1000);
  switch (attempt.kind) {
    case 'cancelled':
      m.inc(METRICS.upstreamRequests, { key_id, outcome: 'cancelled', status: '-' });
      return;
    case 'network-error': {
      const outcome = attempt.timedOut ? 'timeout' : 'network-error';
      m.inc(METRICS.upstreamRequests, { key_id, outcome, status: '-' });
      countError(ctx, outcome);
      return;
    }
    case 'answer': {
      if (judged.kind !== 'answer') throw new Error('an upstream answer judged as something else');
      const { status } = attempt.answer;
      const { verdict } = judged;
      const outcome = outcomeOf(verdict, status);
      m.inc(METRICS.upstreamRequests, { key_id, outcome, status: String(status) });
      if (outcome !== 'ok') countError(ctx, outcome);
      m.observe(METRICS.upstreamDuration, { key_id }, attempt.upstreamMs / 1000);
      if (verdict.kind !== 'deliver') return;
      m.inc(METRICS.tokens, { key_id, kind: 'prompt' }, attempt.usage.promptTokens);
      m.inc(METRICS.tokens, { key_id, kind: 'completion' }, attempt.usage.completionTokens);
    }
  }
}
