import { METRICS } from '@ork/shared';
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

/** Counts one upstream attempt of this key (as judgeAttempt() classified it): outcome and status, latency, tokens, and the queue wait before it. */
export function recordAttempt(ctx: KeyWorkerContext, attempt: Attempt, judged: AttemptVerdict, queueWaitMs: number | undefined): void {
  const key_id = ctx.key.id;
  const m = ctx.metrics;
  if (queueWaitMs !== undefined) m.observe(METRICS.queueWait, { key_id }, queueWaitMs / 1000);
  switch (attempt.kind) {
    case 'cancelled':
      m.inc(METRICS.upstreamRequests, { key_id, outcome: 'cancelled', status: '-' });
      return;
    case 'network-error':
      m.inc(METRICS.upstreamRequests, { key_id, outcome: attempt.timedOut ? 'timeout' : 'network-error', status: '-' });
      return;
    case 'answer': {
      if (judged.kind !== 'answer') throw new Error('an upstream answer judged as something else');
      const { status } = attempt.answer;
      const { verdict } = judged;
      m.inc(METRICS.upstreamRequests, { key_id, outcome: outcomeOf(verdict, status), status: String(status) });
      m.observe(METRICS.upstreamDuration, { key_id }, attempt.upstreamMs / 1000);
      if (verdict.kind !== 'deliver') return;
      m.inc(METRICS.tokens, { key_id, kind: 'prompt' }, attempt.usage.promptTokens);
      m.inc(METRICS.tokens, { key_id, kind: 'completion' }, attempt.usage.completionTokens);
    }
  }
}
