import { hostname } from 'node:os';
import { QueueKeys, Worker } from 'bullmq';
import {
  CancelListener,
  RedisKeys,
  ReplyWriter,
  connectRedis,
  createWorkerRedis,
  keyQueueName,
  queuePrefix,
  KeyQueues,
  MetricsRecorder,
  SLOT_LEAD_MS,
  startBackgroundWork,
  toUpstreamKeys,
  useTestClock,
  type AppConfig,
  type LocalReplies,
  type UpstreamJobData,
  type UpstreamJobResult,
} from '@ork/shared';
import type { Logger } from 'pino';
import { upstreamJobHandler } from './job-handler.js';
import { SlotLine } from './slot-line.js';
import { PacingTrace } from './pacing-trace.js';
import { IDLE_BLOCK_SECONDS, LOCK_DURATION_MS, MAX_STALLED_COUNT, STALLED_INTERVAL_MS } from './worker-options.js';
import { StalledJobCheck } from './stalled-check.js';
import { startKeyProbe } from './key-probe.js';
import { AccountDiscovery } from './account-discovery.js';
import { startPaidWorker } from './paid-worker.js';

/** Paid-model requests one worker process runs at once, over all keys (KEY_CONCURRENCY per key, up to this). */
const PAID_CONCURRENCY_CAP = 256;
import { UpstreamClient } from './upstream/upstream-client.js';

import type { KeyWorkerContext } from './worker-context.js';

/** Finished jobs of idle keys outlive their retention unless someone cleans them: every minute at most. */
function startRetentionCleaner(queues: KeyQueues, logger: Logger): NodeJS.Timeout | undefined {
  if (queues.retentionSeconds === 0) return undefined;
  const timer = setInterval(() => {
    queues.cleanFinished().catch((err: unknown) => logger.debug({ err }, 'could not clean finished jobs; next time'));
  }, Math.min(60_000, queues.retentionSeconds * 1000));
  timer.unref();
  return timer;
}

export interface KeyWorkers {
  workers: Worker<UpstreamJobData, UpstreamJobResult>[];
  /** Stops fetching, lets active jobs finish (up to the caller's deadline), closes connections. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartKeyWorkersOptions {
  /** The API processes running in this same process (`npm start`): their replies skip Redis. */
  localReplies?: LocalReplies;
}

/** Starts one BullMQ Worker per upstream key, all in this process, sharing their command connections. */
export async function startKeyWorkers(config: AppConfig, logger: Logger, options: StartKeyWorkersOptions = {}): Promise<KeyWorkers> {
  // BullMQ registers ~60 scripts on its connection, which makes every MULTI on it copy them all;
  // our own commands (limits, replies, usage, metrics) go over a plain one.
  const bullmq = createWorkerRedis(config, 'ork-worker');
  const redis = createWorkerRedis(config, 'ork-worker-own');
  const subscriber = createWorkerRedis(config, 'ork-worker-cancel');
  // acquire.lua and commit.lua sit between two departures on a key: never queued behind replies.
  const slotRedis = createWorkerRedis(config, 'ork-worker-slots');
  await connectRedis(bullmq, config);
  await connectRedis(redis, config);
  await connectRedis(slotRedis, config);
  await connectRedis(subscriber, config);
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  slotRedis.on('error', () => undefined);
  bullmq.on('error', () => undefined);
  subscriber.on('error', () => undefined);

  const redisKeys = new RedisKeys(config.redisPrefix);
  // Test suite only (TEST_HOOKS needs NODE_ENV=test): the test clock and departure stamps.
  if (config.testHooks) {
    useTestClock(redis, redisKeys.testClockOffset());
    useTestClock(slotRedis, redisKeys.testClockOffset());
  }
  const upstream = new UpstreamClient(config.upstreamBaseUrl, config.upstreamBounds, { stampDepartures: config.testHooks });
  const replies = new ReplyWriter(redis, redisKeys, options.localReplies);
  const cancels = new CancelListener(subscriber, redisKeys);
  await cancels.start();
  const interval = config.limits.minIntervalMs;
  const trace = new PacingTrace(config.pacingTraceFile);

  // Shown by Bull Board as the job's processor; tells apart several worker processes.
  const workerName = `${hostname()}:${process.pid}`;

  const keys = toUpstreamKeys(config.upstreamKeys);
  const queues = new KeyQueues(keys, bullmq, redisKeys, config.jobRetentionSeconds);
  const cleaner = startRetentionCleaner(queues, logger);
  const probe = startKeyProbe({ redis, redisKeys, keys, upstream, logger });
  const accounts = new AccountDiscovery({
    redis,
    redisKeys,
    keys,
    upstream,
    logger,
    declared: config.declaredAccounts,
    refreshMs: config.accountRefreshMs,
    limits: config.limits,
  });
  // Before any job starts, so that every start already counts against the right account.
  await accounts.start();
  const metrics = new MetricsRecorder({
    redis,
    prefix: config.redisPrefix,
    onError: (err) => logger.debug({ err }, 'could not write metrics; kept for the next flush'),
  });

  const forgetPrompts = config.jobRetentionSeconds > 0 && !config.jobRetentionKeepPrompts;
  const contexts = new Map<string, KeyWorkerContext>();
  const keyWorkers = new Map<string, Worker<UpstreamJobData, UpstreamJobResult>>();
  const stalledCheck = new StalledJobCheck({ redis, activeSetKey: redisKeys.keyQueuesWithActiveJobs(), workers: keyWorkers, logger });
  const workers = keys.map((key) => {
    const log = logger.child({ keyId: key.id });
    const queueName = keyQueueName(key.id);
    const prefix = queuePrefix(config.redisPrefix, queueName);
    const slotLine = new SlotLine();
    const ctx: KeyWorkerContext = {
      redis,
      slotRedis,
      redisKeys,
      limits: config.limits,
      key,
      slot: {
        base: redisKeys.keyBase(key.id),
        limiterKey: new QueueKeys(prefix).toKey(queueName, 'limiter'),
        accountMap: redisKeys.accountOfKey(),
        line: slotLine.id,
        jobsInLine: () => slotLine.behindHead,
      },
      accounts,
      queues,
      maxAttempts: config.upstreamMaxAttempts,
      upstream,
      replies,
      cancels,
      metrics,
      slotLine,
      trace,
      logger: log,
    };
    contexts.set(key.id, ctx);
    const run = upstreamJobHandler({ contextFor: () => ctx, forgetPrompts });
    const handle = async (job: Parameters<typeof run>[0]): Promise<UpstreamJobResult> => {
      stalledCheck.jobStarted(key.id);
      try {
        return await run(job);
      } finally {
        stalledCheck.jobFinished(key.id);
      }
    };
    const worker = new Worker<UpstreamJobData, UpstreamJobResult>(queueName, handle, {
      connection: bullmq,
      prefix,
      name: workerName,
      concurrency: config.keyConcurrency,
      // One fetch at a time; acquire.lua then stretches this short window to the key's real
      // next slot, so a worker never sleeps on a stale, longer window.
      limiter: { max: interval > 0 ? 1 : 1_000_000_000, duration: Math.min(Math.max(interval, 1), SLOT_LEAD_MS / 2) },
      autorun: false,
      // A worker that dies mid-job loses its lock within 10 s and another worker re-runs the job
      // (at least once: an upstream call that was already sent is sent again). The stalled check
      // runs from stalledCheck, on queues with active jobs only; these settings are still its own.
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      skipStalledCheck: true,
      drainDelay: IDLE_BLOCK_SECONDS,
      ...queues.retention,
    });
    worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
    keyWorkers.set(key.id, worker);
    return worker;
  });
  const paid = startPaidWorker(contexts, {
    connection: bullmq,
    prefix: config.redisPrefix,
    name: workerName,
    concurrency: Math.min(PAID_CONCURRENCY_CAP, config.keyConcurrency * keys.length),
    retention: queues.retention,
    forgetPrompts,
  });
  paid.on('error', (err) => logger.warn({ err: err.message }, 'paid worker error'));
  workers.push(paid);
  for (const w of workers) void w.run();
  stalledCheck.start();
  // Async jobs and batch lines: moved from their backlog into these queues as keys have room.
  const backgroundReader = createWorkerRedis(config, 'ork-worker-background');
  backgroundReader.on('error', () => undefined);
  const background = startBackgroundWork({ config, redis, blocking: backgroundReader, queues, logger });
  logger.info({ keys: keys.length, concurrency: config.keyConcurrency }, 'key workers started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      probe.stop();
      accounts.stop();
      await background.close();
      clearInterval(cleaner);
      await stalledCheck.stop();
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      cancels.close();
      await upstream.close();
      await metrics.close();
      trace.flush();
      redis.disconnect();
      slotRedis.disconnect();
      bullmq.disconnect();
    })());
  return { workers, close };
}
