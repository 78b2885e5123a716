import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

/**
 * Child processes for the tests and for scripts/ (bench, soak, demo): the one place that spawns
 * them, captures what they print and stops them. Node only, no vitest, so scripts can import it.
 */
export const API_MAIN = fileURLToPath(new URL('../../apps/api/dist/main.js', import.meta.url));
export const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.js', import.meta.url));
export const ALL_IN_ONE_MAIN = fileURLToPath(new URL('../../apps/api/dist/all-in-one.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Runs the TypeScript scripts (scripts/) without a build step. */
export const TSX_BIN = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

export interface RunningProcess {
  /** Label for error messages (the file name unless given). */
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  /** What it printed so far, stdout and stderr interleaved by line (only the tail when `keepOutputChars` is set). */
  output(): string;
  /** True until it exits (or fails to spawn). */
  alive(): boolean;
  /** Resolves with the first line for which `match` returns something other than undefined. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs?: number, what?: string): Promise<T>;
  /** Resolves with the first JSON log line whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Calls `onLine` for every line printed from now on, until it exits. */
  onLine(onLine: (line: string) => void): void;
  /** Exit code; null when it ended by a signal or could not be spawned. */
  exited: Promise<number | null>;
  /** How it ended so far: exit code, signal name, "spawn error" or "running". */
  exitDescription(): string;
  /** SIGTERM (or the given signal) and wait for exit; safe to call twice. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; safe to call twice. */
  stopWithin(graceMs: number): Promise<number | null>;
  /** SIGKILL to its whole process group: clean-up that leaves no grandchild behind. */
  killGroup(): void;
}

export interface CommandOptions {
  /** Label for error messages. */
  name?: string;
  /** Keep only the last this many characters of output (long runs); default everything. */
  keepOutputChars?: number;
  /**
   * Its own session and process group (default), so killGroup() reaches what a wrapper started.
   * Benchmarks pass false: with the kernel's autogroup scheduling every session is its own CPU
   * group, which would undo the simulator's niceness against its siblings and change the figures.
   */
  ownProcessGroup?: boolean;
}

export interface NodeOptions extends CommandOptions {
  /** Flags for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /**
   * Runs it through nice(1) at this niceness, so every thread gets the priority (nice execs node:
   * same pid). Negative values need root; without it the process runs at normal priority.
   */
  niceness?: number;
}

const running = new Set<RunningProcess>();

/** True when `niceness` can be applied here (raising priority needs root). */
export function canUseNiceness(niceness: number): boolean {
  return niceness >= 0 || process.getuid?.() === 0;
}

/** Runs one of our built entry points with the given environment, capturing its output. */
export function runProcess(main: string, env: Record<string, string>, cwd = tmpdir(), options: NodeOptions = {}): RunningProcess {
  // Away from the repo (by default the temp folder), so a developer's .env cannot leak in.
  const node = [process.execPath, ...(options.nodeArgs ?? []), main];
  const niced = options.niceness !== undefined && canUseNiceness(options.niceness);
  const [file, args] = niced ? ['nice', ['-n', String(options.niceness), ...node]] : [process.execPath, node.slice(1)];
  return runCommand(file, args, env, cwd, { name: options.name ?? main.split('/').slice(-3).join('/'), ...options });
}

/** Runs any command (`npm run start:api`, ...) with only PATH and `env`, capturing its output. */
export function runCommand(file: string, args: readonly string[], env: Record<string, string>, cwd: string, options: CommandOptions = {}): RunningProcess {
  const name = options.name ?? file;
  const child = spawn(file, args, {
    // Only what we pass: a developer's shell or .env must not change what is tested or measured.
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so killGroup() also reaches what a wrapper (npm, sh) started.
    detached: options.ownProcessGroup ?? true,
  });
  let out = '';
  let spawnError: string | undefined;
  const listeners = new Set<(line: string) => void>();
  const onLine = (line: string): void => {
    out += `${line}\n`;
    if (options.keepOutputChars !== undefined && out.length > options.keepOutputChars) out = out.slice(-options.keepOutputChars);
    for (const l of [...listeners]) l(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  let ended = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      ended = true;
      running.delete(handle);
      resolve(code);
    });
    child.once('error', (err) => {
      out += `spawn error: ${err.message}\n`;
      spawnError = err.message;
      ended = true;
      running.delete(handle);
      resolve(null);
    });
  });
  const waitForLine = <T>(match: (line: string) => T | undefined, timeoutMs = 20_000, what = 'the expected output'): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(onEach);
      };
      const onEach = (line: string): void => {
        const value = match(line);
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no ${what} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      listeners.add(onEach);
      void exited.then(() => {
        if (!listeners.has(onEach)) return;
        done();
        reject(new Error(`${name} exited (${handle.exitDescription()}) before ${what}:\n${out}`));
      });
    });
  let stopping: Promise<number | null> | undefined;
  const handle: RunningProcess = {
    name,
    child,
    pid: child.pid,
    output: () => out,
    alive: () => !ended,
    exited,
    exitDescription: () => spawnError !== undefined ? 'spawn error' : !ended ? 'running' : String(child.exitCode ?? child.signalCode),
    waitForLine,
    waitForLog: (msg, timeoutMs) =>
      waitForLine((line) => {
        const parsed = parseJsonLine(line);
        return parsed?.msg === msg ? parsed : undefined;
      }, timeoutMs, `a "${msg}" log line`),
    onLine: (l) => {
      listeners.add(l);
      void exited.then(() => listeners.delete(l));
    },
    killGroup: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    stop: (signal = 'SIGTERM') => {
      stopping ??= (async () => {
        if (!ended) child.kill(signal);
        return exited;
      })();
      return stopping;
    },
    stopWithin: (graceMs) => {
      const timer = setTimeout(() => {
        if (!ended) child.kill('SIGKILL');
      }, graceMs);
      void exited.then(() => clearTimeout(timer));
      return handle.stop();
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process started here that still runs (SIGTERM, SIGKILL after `graceMs`): a script's clean-up on success, failure and Ctrl-C. */
export async function stopAll(graceMs = 8_000): Promise<void> {
  await Promise.all([...running].map((p) => p.stopWithin(graceMs)));
}

/** A JSON object printed on one line (our pino logs, the simulator's listening line), else undefined. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
