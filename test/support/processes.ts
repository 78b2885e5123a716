import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

export const API_MAIN = fileURLToPath(new URL('../../apps/api/dist/main.js', import.meta.url));
export const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.js', import.meta.url));
export const ALL_IN_ONE_MAIN = fileURLToPath(new URL('../../apps/api/dist/all-in-one.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Runs the TypeScript scripts (scripts/) without a build step. */
export const TSX_BIN = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** SIGTERM (or the given signal) and wait for exit; safe to call twice. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL to its whole process group: clean-up that leaves no grandchild behind. */
  killGroup(): void;
}

/** Runs one of our built entry points with the given environment, capturing its output. */
export function runProcess(main: string, env: Record<string, string>, cwd = tmpdir()): RunningProcess {
  // Away from the repo (by default the temp folder), so a developer's .env cannot leak into a test.
  return runCommand(process.execPath, [main], env, cwd);
}

/** Runs any command (`npm run start:api`, ...) with only PATH and `env`, capturing its output. */
export function runCommand(file: string, args: readonly string[], env: Record<string, string>, cwd: string): RunningProcess {
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so killGroup() also reaches what a wrapper (npm, sh) started.
    detached: true,
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
    killGroup: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    stop: (signal = 'SIGTERM') => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      })();
      return stopping;
    },
  };
}
