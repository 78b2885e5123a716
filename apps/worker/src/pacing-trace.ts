import { writeFileSync } from 'node:fs';

/** One step of a spaced slot, as `PacingTrace.mark()` names it. */
export type PacingStep =
  /** The job reached the head of its key's SlotLine. */
  | 'head'
  | 'acquire-sent'
  | 'acquire-answered'
  | 'sleep-start'
  | 'sleep-end'
  /** About to hand the request to undici. */
  | 'dispatch'
  /** undici wrote the request to its socket (the departure). */
  | 'sent'
  | 'commit-answered';

/**
 * Benchmarks only (PACING_TRACE_FILE): when each step of every spaced slot happened (epoch ms,
 * sub-ms), written as JSON lines when the worker closes. Off, `mark()` does nothing.
 */
export class PacingTrace {
  private readonly lines: string[] = [];

  constructor(private readonly file: string) {}

  get on(): boolean {
    return this.file !== '';
  }

  mark(keyId: string, requestId: string, step: PacingStep, ms?: number): void {
    if (this.file === '') return;
    const at = performance.timeOrigin + performance.now();
    this.lines.push(JSON.stringify(ms === undefined ? [keyId, requestId, step, at] : [keyId, requestId, step, at, ms]));
  }

  /** Safe to call twice (the second finds nothing new). */
  flush(): void {
    if (this.file === '' || this.lines.length === 0) return;
    writeFileSync(this.file, this.lines.join('\n') + '\n', { flag: 'a' });
    this.lines.length = 0;
  }
}
