/**
 * What a scenario runs against: the simulator (fake OpenRouter) in its own process, and the
 * gateway as one API process plus one worker process on a fresh Redis prefix. Spawning, ports and
 * keys come from the kit the tests use (test/support).
 */
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/free-port.js';
import { ALL_IN_ONE_MAIN, API_MAIN, WORKER_MAIN, runProcess, type RunningProcess } from '../../test/support/processes.js';
import { startSimulatorProcess, type SimulatorProcess } from '../../test/support/simulator-process.js';

/** Children run here, where there is no .env for dotenv to pick up. */
export const CHILD_CWD = fileURLToPath(new URL('.', import.meta.url));
/**
 * How the scripts run their children: the last 32 kB each printed kept for error messages, and in
 * this process's session, where the simulator's niceness counts against the API and worker (a
 * session of their own would each be a CPU group of their own under autogroup scheduling).
 */
export const CHILD_OPTIONS = { keepOutputChars: 32_000, ownProcessGroup: false } as const;

/** Starts the simulator; `priority` (e.g. -15) is its nice value when we may raise priority (root). */
export function startSimulator({ env = {}, priority }: { env?: Record<string, string>; priority?: number } = {}): Promise<SimulatorProcess> {
  return startSimulatorProcess({ env, niceness: priority, cwd: CHILD_CWD, ownProcessGroup: false });
}

export interface Gateway {
  url: string;
  api: RunningProcess;
  worker: RunningProcess;
  processes: RunningProcess[];
}

export interface GatewayOptions {
  simUrl: string;
  keys: readonly string[];
  redisUrl: string;
  prefix: string;
  env?: Record<string, string>;
  /** Runs both under node --cpu-prof, writing profiles here. */
  cpuProfDir?: string | undefined;
  /** The built entry points to run (another checkout's, for an A/B); this tree's by default. */
  mains?: { api: string; worker: string };
  /** Runs `npm start`'s single process (API and workers together) instead of an API and a worker process. */
  allInOne?: boolean;
}

/**
 * Starts one API process and one worker process (or, with `allInOne`, the one process `npm start`
 * runs: then `api` and `worker` are the same). Readiness: the API answers /healthz; the worker
 * is proven by the caller's first request, which waits in its queue until the worker takes it.
 */
export async function startGateway({ simUrl, keys, redisUrl, prefix, env = {}, cpuProfDir, mains = { api: API_MAIN, worker: WORKER_MAIN }, allInOne = false }: GatewayOptions): Promise<Gateway> {
  const port = await freePort();
  const common = {
    OPENROUTER_API_KEYS: keys.join(','),
    OPENROUTER_BASE_URL: simUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  };
  const nodeArgs = (tag: string): string[] =>
    cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${tag}-${prefix}.cpuprofile`] : [];
  const url = `http://127.0.0.1:${port}`;
  if (allInOne) {
    const one = runProcess(ALL_IN_ONE_MAIN, common, CHILD_CWD, { name: 'all-in-one', nodeArgs: nodeArgs('all-in-one'), ...CHILD_OPTIONS });
    await waitForHealth(url, [one]);
    return { url, api: one, worker: one, processes: [one] };
  }
  const worker = runProcess(mains.worker, common, CHILD_CWD, { name: 'worker', nodeArgs: nodeArgs('worker'), ...CHILD_OPTIONS });
  const api = runProcess(mains.api, common, CHILD_CWD, { name: 'api', nodeArgs: nodeArgs('api'), ...CHILD_OPTIONS });
  await waitForHealth(url, [api, worker]);
  return { url, api, worker, processes: [api, worker] };
}

async function waitForHealth(url: string, procs: readonly RunningProcess[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = procs.find((p) => !p.alive());
    if (dead) throw new Error(`${dead.name} exited during start-up\n${dead.output()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.text();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the API did not answer ${url}/healthz within ${timeoutMs} ms\n${procs.map((p) => p.output()).join('\n')}`);
}
