/**
 * What a scenario runs against: the simulator (fake OpenRouter) in its own process, and the
 * gateway as one API process plus one worker process on a fresh Redis prefix.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectSimulator } from '../../apps/simulator/dist/index.js';
import { freePort, startNode } from './processes.js';

const root = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const SIMULATOR_MAIN = root('apps/simulator/dist/main.js');
export const API_MAIN = root('apps/api/dist/main.js');
export const WORKER_MAIN = root('apps/worker/dist/main.js');
/** Children run here, where there is no .env for dotenv to pick up. */
const CHILD_CWD = fileURLToPath(new URL('.', import.meta.url));

/** A key shaped like an OpenRouter key, made up for this run only. */
export function fakeKey() {
  return `sk-or-v1-${randomBytes(32).toString('hex')}`;
}

/**
 * Starts the simulator. `priority` (e.g. -15) is its nice value when we may raise priority (root),
 * so the arrival timestamps it takes for the spacing check carry less scheduling jitter.
 */
export async function startSimulator({ env = {}, priority } = {}) {
  const prioritised = priority !== undefined && (priority >= 0 || process.getuid?.() === 0);
  const proc = startNode('simulator', SIMULATOR_MAIN, {
    cwd: CHILD_CWD,
    env: { SIM_PORT: '0', SIM_HOST: '127.0.0.1', SIM_LATENCY_MS: '0', ...env },
    niceness: prioritised ? priority : undefined,
  });
  const url = await proc.waitForLine((line) => {
    try {
      const msg = JSON.parse(line);
      return msg.event === 'listening' && typeof msg.url === 'string' ? msg.url : undefined;
    } catch {
      return undefined;
    }
  });
  return { proc, url, origin: new URL(url).origin, control: connectSimulator(url), prioritised };
}

/**
 * Starts one API process and one worker process. Readiness: the API answers /healthz; the worker
 * is proven by the caller's first request, which waits in its queue until the worker takes it.
 */
export async function startGateway({ simUrl, keys, redisUrl, prefix, env = {}, cpuProfDir }) {
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
  const nodeArgs = (tag) => (cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${tag}-${prefix}.cpuprofile`] : []);
  const worker = startNode('worker', WORKER_MAIN, { cwd: CHILD_CWD, env: common, nodeArgs: nodeArgs('worker') });
  const api = startNode('api', API_MAIN, { cwd: CHILD_CWD, env: common, nodeArgs: nodeArgs('api') });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, [api, worker]);
  return { url, api, worker, processes: [api, worker] };
}

async function waitForHealth(url, procs, timeoutMs = 15_000) {
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
