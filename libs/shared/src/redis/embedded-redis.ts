import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { FolderLock } from './folder-lock.js';
import { processRuns, sleepSync } from './process-checks.js';
import { freePort } from '../util/free-port.js';

/** Where `npm start` keeps the embedded Redis (relative to the folder it runs in, like `.env`). */
export const EMBEDDED_REDIS_FOLDER = 'data/redis';

/**
 * What the processes sharing one data folder agree on, in `embedded.json`, changed only under the
 * folder's lock: where the Redis listens, its pid, and the pids of the processes using it.
 */
interface EmbeddedState {
  port: number;
  pid: number;
  users: number[];
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly dataDir: string;
  readonly pid: number;
  /** True in the process that started it; the others joined one that ran. */
  readonly started: boolean;
  /**
   * Leaves it; the last process to leave stops it (SIGTERM: Redis writes its append-only file and
   * exits) and waits until it is gone. Synchronous so it can run on process exit; safe to call twice.
   */
  release(): void;
}

/** Thrown when an embedded Redis was needed but could not be started. */
export class EmbeddedRedisError extends Error {
  override readonly name = 'EmbeddedRedisError';
}

/** The first executable `redis-server` on a PATH. */
export function findRedisServer(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Joins the embedded Redis of `dataDir` if one runs there; else, given a `redis-server` binary,
 * starts one (loopback, free port, append-only, noeviction) and joins it; else undefined.
 */
export async function enterEmbeddedRedis(dataDir: string, binary?: string): Promise<EmbeddedRedis | undefined> {
  if (binary === undefined && !existsSync(join(dataDir, 'embedded.json'))) return undefined;
  const lock = new FolderLock(join(dataDir, 'lock'));
  try {
    mkdirSync(dataDir, { recursive: true });
    await lock.acquire();
  } catch (err) {
    // A folder we may not write, or a lock held by a hung process: one line, not a stack trace.
    throw new EmbeddedRedisError(`cannot use ${dataDir} for the embedded Redis: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    let state = await runningState(dataDir);
    let started = false;
    if (state === undefined) {
      if (binary === undefined) return undefined;
      state = { ...(await startRedisServer(binary, dataDir)), users: [] };
      started = true;
    }
    state.users = [...state.users.filter((pid) => processRuns(pid)), process.pid];
    writeState(dataDir, state);
    return handle(dataDir, state, started);
  } finally {
    lock.release();
  }
}

function handle(dataDir: string, state: EmbeddedState, started: boolean): EmbeddedRedis {
  let released = false;
  return {
    url: `redis://127.0.0.1:${state.port}`,
    dataDir,
    pid: state.pid,
    started,
    release: () => {
      if (released) return;
      released = true;
      leave(dataDir);
    },
  };
}

function leave(dataDir: string): void {
  const lock = new FolderLock(join(dataDir, 'lock'));
  // Without the lock, leave Redis running: a later start finds it again, stopping it could cut off others.
  if (!lock.acquireSync()) return;
  try {
    const state = readState(dataDir);
    if (state === undefined) return;
    const users = state.users.filter((pid) => pid !== process.pid && processRuns(pid));
    if (users.length > 0) {
      writeState(dataDir, { ...state, users });
      return;
    }
    removeState(dataDir);
    if (!processRuns(state.pid, 'redis-server')) return;
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (processRuns(state.pid, 'redis-server') && Date.now() < deadline) sleepSync(20);
  } finally {
    lock.release();
  }
}

/** The recorded Redis, if it still runs and answers as the same process. */
async function runningState(dataDir: string): Promise<EmbeddedState | undefined> {
  const state = readState(dataDir);
  if (state === undefined) return undefined;
  if (processRuns(state.pid, 'redis-server') && (await redisPid(state.port)) === state.pid) return state;
  removeState(dataDir);
  return undefined;
}

async function startRedisServer(binary: string, dataDir: string): Promise<{ port: number; pid: number }> {
  const logFile = join(dataDir, 'redis.log');
  // A free port can be taken between the probe and redis-server's bind; then try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const launched = await launch(binary, [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      // Daemonised, Redis leaves our process group (Ctrl-C reaches only us, and we stop it last)
      // and is nobody's child, so a process other than its starter can stop it and see it go.
      '--daemonize', 'yes',
      '--pidfile', join(dataDir, 'redis.pid'),
      '--logfile', logFile,
    ]);
    if (!launched) break;
    const pid = await waitForPid(port, 10_000);
    if (pid !== undefined) return { port, pid };
  }
  throw new EmbeddedRedisError(`${binary} did not start an embedded Redis; see ${logFile}`);
}

function launch(binary: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function waitForPid(port: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = await redisPid(port);
    if (pid !== undefined || Date.now() > deadline) return pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The process_id a Redis on this loopback port reports, or undefined if none answers. */
async function redisPid(port: number): Promise<number | undefined> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: 'ork-embedded-probe',
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const match = /^process_id:(\d+)/m.exec(await redis.info('server'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function readState(dataDir: string): EmbeddedState | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, 'embedded.json'), 'utf8')) as Partial<EmbeddedState>;
    if (typeof raw.port !== 'number' || typeof raw.pid !== 'number' || !Array.isArray(raw.users)) return undefined;
    return { port: raw.port, pid: raw.pid, users: raw.users.filter((pid) => typeof pid === 'number') };
  } catch {
    return undefined;
  }
}

function writeState(dataDir: string, state: EmbeddedState): void {
  // Written aside and renamed, so a reader never sees half a file.
  const file = join(dataDir, 'embedded.json');
  writeFileSync(`${file}.${process.pid}`, `${JSON.stringify(state)}\n`);
  renameSync(`${file}.${process.pid}`, file);
}

function removeState(dataDir: string): void {
  try {
    unlinkSync(join(dataDir, 'embedded.json'));
  } catch {
    // Already gone.
  }
}
