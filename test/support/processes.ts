import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

export const API_MAIN = fileURLToPath(new URL('../../apps/api/dist/main.js', import.meta.url));
export const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.js', import.meta.url));
export const ALL_IN_ONE_MAIN = fileURLToPath(new URL('../../apps/api/dist/all-in-one.js', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** SIGTERM (or the given signal) and wait for exit; safe to call twice. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs one of our built entry points with the given environment, capturing its output. */
export function runProcess(main: string, env: Record<string, string>, cwd = tmpdir()): RunningProcess {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    // Away from the repo (by default the temp folder), so a developer's .env cannot leak into a test.
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { msg: string; resolve: (v: Record<string, unknown>) => void }[] = [];
  const onLine = (line: string): void => {
    out += `${line}\n`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of [...waiters]) {
      if (parsed.msg === w.msg) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    child,
    output: () => out,
    exited,
    waitForLog: (msg, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before logging "${msg}":\n${out}`));
        });
        waiters.push({
          msg,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
      }),
    stop: (signal = 'SIGTERM') => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      })();
      return stopping;
    },
  };
}
