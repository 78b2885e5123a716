import { Writable } from 'node:stream';
import { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { inject } from 'vitest';
import { LocalReplies, REDACT_PATHS, parseConfig, type AppConfig, type RedisClient } from '@ork/shared';
import { startKeyWorkers, type KeyWorkers } from '@ork/worker';
import { startApi, type RunningApi } from '@ork/api';
import { spawnSimulator, type SpawnedSimulator } from '@ork/simulator';
import { API_MAIN, WORKER_MAIN, runProcess, type RunningProcess } from './processes.js';
import { deleteByPrefix, freshPrefix } from './redis-cleanup.js';
import { fakeKey } from './fake-keys.js';
import { warmUpSimulator } from './warm-up.js';
import { TestClock } from './test-clock.js';

export { fakeKey };

export interface StackOptions {
  keys?: number | string[];
  env?: Record<string, string>;
  /** Separate API processes; 0 runs one API in this process. */
  apiProcesses?: number;
  /** Separate worker processes; 0 runs the workers in this process. */
  workerProcesses?: number;
  /** A Redis of the test's own instead of the shared one. */
  redisUrl?: string;
  /** A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES) instead of any single Redis. */
  redisClusterNodes?: string;
  /** SIM_* settings of the simulator, which always runs in its own process for honest timing. */
  simulatorEnv?: Record<string, string>;
}

export interface Stack {
  keys: string[];
  /** The environment the processes were started with, to start more. */
  env: Record<string, string>;
  prefix: string;
  config: AppConfig;
  redis: RedisClient;
  sim: SpawnedSimulator;
  apiUrls: string[];
  /** First API's base URL. */
  url: string;
  /** Log output of in-process parts and spawned processes. */
  logs(): string;
  processes: RunningProcess[];
  /** The clock the limit scripts and the fake share (TEST_HOOKS); starts at real time. */
  clock: TestClock;
  close(): Promise<void>;
}

/** Starts the simulator, workers and API(s) on a fresh Redis prefix; `close()` removes every key it made. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const redisUrl = options.redisUrl ?? inject('redisUrl');
  const keys = Array.isArray(options.keys) ? options.keys : Array.from({ length: options.keys ?? 3 }, fakeKey);
  const prefix = freshPrefix('t');
  // The simulator timestamps arrivals; on two busy cores it must not wait for CPU to do so.
  const sim = await spawnSimulator(options.simulatorEnv ?? {}, 10_000, -15);
  await warmUpSimulator(sim);
  const env: Record<string, string> = {
    OPENROUTER_API_KEYS: keys.join(','),
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL: redisUrl,
    ...(options.redisClusterNodes ? { REDIS_CLUSTER_NODES: options.redisClusterNodes } : {}),
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '5000',
    // The test clock and departure stamps (test-clock.ts, limits.ts); refused without NODE_ENV=test.
    NODE_ENV: 'test',
    TEST_HOOKS: 'true',
    ...options.env,
  };
  let config: AppConfig;
  try {
    config = parseConfig(env);
  } catch (err) {
    await sim.close();
    throw err;
  }
  let logText = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logText += chunk.toString();
      cb();
    },
  });
  const logger = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);

  const processes: RunningProcess[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const apiUrls: string[] = [];
  // Workers and API both in this process hand replies over in memory, as `npm start` does.
  const localReplies = new LocalReplies();
  try {
    const workerCount = options.workerProcesses ?? 0;
    if (workerCount === 0) {
      const workers: KeyWorkers = await startKeyWorkers(config, logger, { localReplies });
      closers.push(() => workers.close());
    }
    for (let i = 0; i < workerCount; i++) {
      const p = runProcess(WORKER_MAIN, env);
      processes.push(p);
      await p.waitForLog('key workers started');
    }
    const apiCount = options.apiProcesses ?? 0;
    if (apiCount === 0) {
      const api: RunningApi = await startApi(config, logger, { localReplies });
      apiUrls.push(api.url);
      closers.push(() => api.close());
    }
    for (let i = 0; i < apiCount; i++) {
      const p = runProcess(API_MAIN, env);
      processes.push(p);
      const line = await p.waitForLog('api listening');
      apiUrls.push(String(line.url));
    }
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await Promise.all(closers.map((c) => c()));
    await sim.close();
    throw err;
  }

  // The workers' start-up GET /key calls (account discovery) are done by now; each test then sees
  // only the upstream traffic it causes.
  await sim.reset();
  const redis: RedisClient = config.redisCluster
    ? new Cluster(config.redisCluster.nodes, { redisOptions: { maxRetriesPerRequest: null } })
    : new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Some tests take Redis away on purpose.
  redis.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    keys,
    env,
    prefix,
    config,
    redis,
    sim,
    apiUrls,
    url: apiUrls[0] ?? '',
    processes,
    clock: new TestClock(redis, prefix, sim),
    logs: () => logText + processes.map((p) => p.output()).join('\n'),
    close: () =>
      (closing ??= (async () => {
        await Promise.all(processes.map((p) => p.stop()));
        for (const c of closers.reverse()) await c();
        await sim.close();
        await deleteByPrefix(redis, prefix);
        redis.disconnect();
      })()),
  };
}
