import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SimRecord, SimulatorConfigPatch } from './types.js';

/**
 * The built CLI. Resolved via ../dist so it is found both from dist/ and from src/ (when tests
 * import the TypeScript sources directly); either way it requires `tsc -b` to have run.
 */
export const SIMULATOR_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The control routes of a simulator in another process. */
export interface RemoteSimulator {
  /** Base URL including /api/v1. */
  url: string;
  port: number;
  /** Records with seq > `since` (default all). */
  records(since?: number): Promise<SimRecord[]>;
  reset(): Promise<void>;
  /** Infinity in the patch travels as JSON null, which the simulator reads as "off". */
  configure(patch: SimulatorConfigPatch): Promise<void>;
  /** Marks `requests` of an account's quota for today as spent elsewhere. */
  spend(account: string, requests: number): Promise<void>;
  health(): Promise<boolean>;
}

export interface SpawnedSimulator extends RemoteSimulator {
  pid: number;
  /** SIGTERM and wait for exit; safe to call twice. */
  close(): Promise<void>;
}

async function call(origin: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${origin}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** `url` is the simulator base URL (…/api/v1) or just its origin. */
export function connectSimulator(url: string): RemoteSimulator {
  const u = new URL(url);
  const origin = u.origin;
  return {
    url: `${origin}/api/v1`,
    port: Number(u.port),
    records: async (since = 0) => (await call(origin, 'GET', `/__sim/records?since=${since}`)) as SimRecord[],
    reset: async () => {
      await call(origin, 'POST', '/__sim/reset');
    },
    configure: async (patch) => {
      await call(origin, 'POST', '/__sim/configure', patch);
    },
    spend: async (account, requests) => {
      await call(origin, 'POST', '/__sim/spend', { account, requests });
    },
    health: async () => {
      try {
        return ((await call(origin, 'GET', '/__sim/health')) as { ok?: unknown }).ok === true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Starts `node dist/main.js` with SIM_* variables from `env` and resolves once it has printed
 * its listening line. The child's stderr is inherited so crashes show up in test output.
 */
export function spawnSimulator(env: Record<string, string> = {}, timeoutMs = 10_000, niceness = 0): Promise<SpawnedSimulator> {
  // Through nice(1), so every thread (GC helpers included) gets the priority, not just the main one.
  const useNice = niceness !== 0 && process.getuid?.() === 0;
  const [command, args] = useNice
    ? ['nice', ['-n', String(niceness), process.execPath, SIMULATOR_MAIN]]
    : [process.execPath, [SIMULATOR_MAIN]];
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    })();
    return closing;
  };

  return new Promise<SpawnedSimulator>((resolve, reject) => {
    let started = false;
    const fail = (why: string): void => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      void close();
      reject(new Error(`simulator did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`no listening line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const m = msg as { event?: unknown; url?: unknown };
      if (started || m.event !== 'listening' || typeof m.url !== 'string') return;
      started = true;
      clearTimeout(timer);
      resolve({ ...connectSimulator(m.url), pid: child.pid as number, close });
    });
  });
}
