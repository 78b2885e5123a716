import type { Attempt } from '../call-upstream.js';
import { safeJson } from '../call-upstream.js';
import type { RequestQuota } from '@ork/shared';
import { classifyResponse, type Verdict } from '../upstream/classify-response.js';
import type { AttemptVerdict } from './next-step.js';

/** Classifies an upstream call once; everything after it reads the verdict, never the answer again. */
/** `configuredPerDay`: KEY_REQUESTS_PER_DAY, above which no learned day limit is believed. */
export function judgeAttempt(attempt: Attempt, now = Date.now(), quota: RequestQuota = 'free', configuredPerDay = 0): AttemptVerdict {
  switch (attempt.kind) {
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'network-error':
      return {
        kind: 'network-error',
        timedOut: attempt.timedOut,
        midStream: attempt.relay !== undefined,
        message: attempt.message,
        ...(attempt.tooLarge ? { tooLarge: true } : {}),
      };
    case 'answer': {
      const { answer } = attempt;
      const verdict = forQuota(classifyResponse(answer, now, configuredPerDay), quota);
      // A 200 that carries an error goes out with that error's status.
      const status = !answer.streamed && answer.status === 200 && verdict.kind === 'retry' ? errorStatusOf(answer.body) : answer.status;
      return { kind: 'answer', verdict, status };
    }
  }
}

/**
 * OpenRouter's own 429 to a paid-model request is not about the account's free-model limits
 * (which hold for `:free` models only): retried elsewhere, the account's state left alone.
 */
function forQuota(verdict: Verdict, quota: RequestQuota): Verdict {
  if (quota === 'paid' && (verdict.kind === 'key-cooldown' || verdict.kind === 'key-exhausted')) {
    return { kind: 'retry', reason: 'provider-rate-limited' };
  }
  return verdict;
}

function errorStatusOf(body: string): number {
  const code = (safeJson(body) as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 502;
}
