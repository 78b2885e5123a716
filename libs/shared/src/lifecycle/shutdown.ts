import type { Logger } from 'pino';

type Handler = () => Promise<void> | void;

/**
 * One shutdown path per process: on SIGTERM/SIGINT run the named handlers in order
 * (stop accepting, drain, close Redis) within a deadline, then exit.
 */
export class ShutdownManager {
  private readonly handlers: { name: string; fn: Handler }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  add(name: string, fn: Handler): void {
    this.handlers.push({ name, fn });
  }

  listen(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logger.info({ signal }, 'shutting down');
      void this.shutdown().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  /** Runs every handler once; safe to call twice. */
  shutdown(): Promise<void> {
    this.running ??= this.runHandlers();
    return this.running;
  }

  private async runHandlers(): Promise<void> {
    const deadline = Date.now() + this.deadlineMs;
    for (const { name, fn } of this.handlers) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not finish within the shutdown deadline`)), Math.max(left, 0));
          }),
        ]);
      } catch (err) {
        this.logger.warn({ err, step: name }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
