import type { Verdict } from '../upstream/classify-response.js';

/** What upstream said about the key that sent the request; recorded for every process. */
export type KeyVerdict = Extract<Verdict, { kind: 'key-cooldown' | 'key-exhausted' | 'key-disabled' }>;

/**
 * What one try of a request came to, classified once: the key's slot could not be had, or the
 * upstream call ended (answer, network error, cancelled).
 */
export type AttemptVerdict =
  /** The key cannot start the request for `waitMs` (a cooldown, its minute is full). */
  | { kind: 'slot-wait'; waitMs: number }
  /** The key is out of rotation (disabled, or done for today). */
  | { kind: 'slot-refused' }
  | { kind: 'cancelled' }
  /** Nobody waits for it any more (its API process is gone): not started. */
  | { kind: 'orphaned' }
  /** Its client key was revoked or disabled while it waited: not started. */
  | { kind: 'client-revoked' }
  /** `tooLarge`: upstream's answer passed UPSTREAM_MAX_RESPONSE_BYTES (not retried: it would again). */
  | { kind: 'network-error'; timedOut: boolean; midStream: boolean; message: string; tooLarge?: boolean }
  /** `status` is what the client gets if the answer is delivered (a 200 carrying an error goes out with that error's status). */
  | { kind: 'answer'; verdict: Verdict; status: number };

/** Where a request goes when a move finds no key. */
export type Fallback = { kind: 'deliver'; status: number } | { kind: 'requeue' } | { kind: 'refuse'; refusal: Refusal };

export type Refusal =
  /** The router's own refusal: no key can take it today (429 daily_limit_reached) or soon enough (429 queue_full). */
  | { kind: 'no-key' }
  | { kind: 'error'; status: number; code: string; message: string }
  /** A stream already under way: end it with an error chunk. */
  | { kind: 'stream-error'; status: number; message: string };

export type NextStep =
  /** Upstream's answer to the client. */
  | { kind: 'deliver'; status: number }
  /** Another try after a backoff: on another key if one can take it, else on this one. */
  | { kind: 'retry-elsewhere'; attempt: number; otherwise: Fallback }
  /** To another key without using an attempt, first recording what upstream said about this one. */
  | {
      kind: 'move';
      keyVerdict: KeyVerdict | undefined;
      /** Move the key's other waiting requests too: `others` when it left rotation, `any` (possibly back here) after a cooldown. */
      drain: 'none' | 'others' | 'any';
      /** Move only if another key can start it at least a second sooner than this. */
      soonerThanMs: number | undefined;
      /** The request still holds a reservation on this key, to be given back once moved. */
      releaseReservation: boolean;
      otherwise: Fallback;
    }
  /** Back to this key's queue without using an attempt. */
  | { kind: 'requeue' }
  | { kind: 'refuse'; refusal: Refusal }
  /** The client went away: nothing to say to anyone. */
  | { kind: 'stop' };

export interface StepLimits {
  /** Upstream attempts one request may use before its last error goes to the client. */
  maxAttempts: number;
}

/** How the attempt counts in the key's usage; undefined when no upstream call was made. */
export type UsageCount = { succeeded: boolean; withTokens: boolean } | undefined;

/** A wait on this key up to this long is waited out here rather than moved. */
export const REQUEUE_WITHOUT_MOVE_MS = 2_000;

/** The worker's whole "what next" after one try of a request; `attempt` is the try just made (1-based). */
export function nextStep(verdict: AttemptVerdict, attempt: number, limits: StepLimits): NextStep {
  const canRetry = attempt < limits.maxAttempts;
  switch (verdict.kind) {
    case 'slot-wait':
      if (verdict.waitMs <= REQUEUE_WITHOUT_MOVE_MS) return { kind: 'requeue' };
      return move({ soonerThanMs: verdict.waitMs, releaseReservation: true, otherwise: { kind: 'requeue' } });
    case 'slot-refused':
      return move({ otherwise: noKey });
    case 'cancelled':
    case 'orphaned':
      return { kind: 'stop' };
    case 'client-revoked':
      return { kind: 'refuse', refusal: { kind: 'error', status: 401, code: 'client_key_revoked', message: CLIENT_REVOKED } };
    case 'network-error': {
      const status = verdict.timedOut ? 504 : 502;
      if (verdict.midStream) return { kind: 'refuse', refusal: { kind: 'stream-error', status, message: verdict.message } };
      const code = verdict.tooLarge ? 'upstream_response_too_large' : verdict.timedOut ? 'upstream_timeout' : 'upstream_unreachable';
      const refuse: Fallback = { kind: 'refuse', refusal: { kind: 'error', status, code, message: verdict.message } };
      if (!verdict.timedOut && !verdict.tooLarge && canRetry) return { kind: 'retry-elsewhere', attempt: attempt + 1, otherwise: refuse };
      return refuse;
    }
    case 'answer':
      return afterAnswer(verdict.verdict, verdict.status, attempt, canRetry);
  }
}

function afterAnswer(verdict: Verdict, status: number, attempt: number, canRetry: boolean): NextStep {
  switch (verdict.kind) {
    case 'deliver':
      return { kind: 'deliver', status };
    case 'retry':
      if (canRetry) return { kind: 'retry-elsewhere', attempt: attempt + 1, otherwise: { kind: 'deliver', status } };
      return { kind: 'deliver', status };
    case 'key-cooldown':
      // No other key free: wait here until the cooldown ends.
      return move({ keyVerdict: verdict, drain: 'any', otherwise: { kind: 'requeue' } });
    case 'key-exhausted':
      return move({ keyVerdict: verdict, drain: 'others', otherwise: noKey });
    case 'key-disabled': {
      const message = `No usable OpenRouter key: OpenRouter refused the last one (${status}, ${verdict.reason}).`;
      const refusal: Refusal = { kind: 'error', status: 503, code: 'no_usable_key', message };
      return move({ keyVerdict: verdict, drain: 'others', otherwise: { kind: 'refuse', refusal } });
    }
  }
}

/** Usage counts an upstream call as succeeded only when its answer is delivered as a success. */
export function usageCount(verdict: AttemptVerdict): UsageCount {
  switch (verdict.kind) {
    case 'slot-wait':
    case 'slot-refused':
    case 'orphaned':
    case 'client-revoked':
      return undefined;
    case 'cancelled':
    case 'network-error':
      return { succeeded: false, withTokens: false };
    case 'answer': {
      const delivered = verdict.verdict.kind === 'deliver';
      return { succeeded: delivered && verdict.status < 400, withTokens: delivered };
    }
  }
}

const CLIENT_REVOKED = 'The client key of this request was revoked or disabled while it waited; it was not sent upstream.';

const noKey: Fallback = { kind: 'refuse', refusal: { kind: 'no-key' } };

function move(o: Partial<Omit<Extract<NextStep, { kind: 'move' }>, 'kind' | 'otherwise'>> & { otherwise: Fallback }): NextStep {
  return { kind: 'move', keyVerdict: undefined, drain: 'none', soonerThanMs: undefined, releaseReservation: false, ...o };
}
