import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { processRuns, sleepSync } from './process-checks.js';

/**
 * A lock file holding its owner's pid, created exclusively (`wx`), so processes of one machine take
 * turns; one whose owner no longer runs (killed mid-start) is stale and taken over.
 */
export class FolderLock {
  constructor(private readonly path: string) {}

  /** Waits (without blocking the event loop) until the lock is ours, or throws after `timeoutMs`. */
  async acquire(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tryAcquire()) {
      if (Date.now() > deadline) throw this.timeoutError();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** For the exit path: blocks; false when the lock could not be had in time. */
  acquireSync(timeoutMs = 5_000): boolean {
    const deadline = Date.now() + timeoutMs;
    while (!this.tryAcquire()) {
      if (Date.now() > deadline) return false;
      sleepSync(25);
    }
    return true;
  }

  release(): void {
    if (this.holder() !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }

  private tryAcquire(): boolean {
    try {
      const fd = openSync(this.path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = this.holder();
    // An empty file is a lock being written this instant, not a stale one.
    if (holder !== undefined && holder !== process.pid && !processRuns(holder)) {
      try {
        unlinkSync(this.path);
      } catch {
        // Someone else cleared it first.
      }
    }
    return false;
  }

  private holder(): number | undefined {
    try {
      const pid = Number(readFileSync(this.path, 'utf8'));
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private timeoutError(): Error {
    return new Error(`${this.path} is held by process ${this.holder() ?? '?'}; remove the file if no ork process runs`);
  }
}
