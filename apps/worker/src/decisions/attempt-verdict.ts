import type { Attempt } from '../call-upstream.js';
import { safeJson } from '../call-upstream.js';
import { classifyResponse } from '../upstream/classify-response.js';
import type { AttemptVerdict } from './next-step.js';

/** Classifies an upstream call once; everything after it reads the verdict, never the answer again. */
export function judgeAttempt(attempt: Attempt, now = Date.now()): AttemptVerdict {
  switch (attempt.kind) {
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'network-error':
      return { kind: 'network-error', timedOut: attempt.timedOut, midStream: attempt.relay !== undefined, message: attempt.message };
    case 'answer': {
      const { answer } = attempt;
      const verdict = classifyResponse(answer, now);
      // A 200 that carries an error goes out with that error's status.
      const status = !answer.streamed && answer.status === 200 && verdict.kind === 'retry' ? errorStatusOf(answer.body) : answer.status;
      return { kind: 'answer', verdict, status };
    }
  }
}

function errorStatusOf(body: string): number {
  const code = (safeJson(body) as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 502;
}
