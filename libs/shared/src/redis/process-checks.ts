import { readFileSync } from 'node:fs';

/**
 * Whether a process runs (a zombie counts as gone: under a PID 1 that never reaps, a stopped
 * redis-server would otherwise look alive forever). `name`, where /proc exists, also checks the
 * command line, so a recycled pid is not taken for ours.
 */
export function processRuns(pid: number, name?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProc(pid, 'stat');
  if (stat !== undefined && /\)\s+Z/.test(stat)) return false;
  if (name !== undefined) {
    const cmdline = readProc(pid, 'cmdline');
    if (cmdline !== undefined && !cmdline.includes(name)) return false;
  }
  return true;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Blocks the thread: only for the exit path, where no event loop runs any more. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
