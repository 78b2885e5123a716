import { genericError, type ErrorReply } from './errors.js';
import type { Fault } from './types.js';

export interface ForcedReply extends ErrorReply {
  delayMs?: number;
}

function toReply(f: Fault): ForcedReply {
  const base = f.body === undefined ? genericError(f.status) : { status: f.status, body: f.body };
  const reply: ForcedReply = { status: f.status, body: base.body };
  if (f.headers !== undefined) reply.headers = f.headers;
  if (f.delayMs !== undefined) reply.delayMs = f.delayMs;
  return reply;
}

/** Forced responses, matched in insertion order; the common "no faults" case costs one length check. */
export class FaultQueue {
  private list: Array<{ fault: Fault; left: number }> = [];

  replace(faults: readonly Fault[]): void {
    this.list = faults.map((fault) => ({ fault, left: fault.times ?? 1 })).filter((e) => e.left > 0);
  }

  clear(): void {
    this.list = [];
  }

  take(key: string | null): ForcedReply | undefined {
    if (this.list.length === 0) return undefined;
    for (let i = 0; i < this.list.length; i++) {
      const entry = this.list[i] as { fault: Fault; left: number };
      if (entry.fault.key !== undefined && entry.fault.key !== key) continue;
      entry.left--;
      if (entry.left <= 0) this.list.splice(i, 1);
      return toReply(entry.fault);
    }
    return undefined;
  }
}

/** `x-sim-force-status: 500` answers that status with an OpenRouter-style error body. */
export function forcedByHeader(value: string | string[] | undefined): ForcedReply | undefined {
  if (typeof value !== 'string') return undefined;
  const status = Number(value);
  if (!Number.isInteger(status) || status < 400 || status > 599) return undefined;
  return genericError(status);
}

/** Non-negative integer from a header or env value; undefined when absent or malformed. */
export function parseMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
