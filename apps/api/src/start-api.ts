import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import {
  MetricsRecorder,
  RedisKeys,
  ReplyReader,
  connectRedis,
  createApiRedis,
  createWorkerRedis,
  toUpstreamKeys,
  useTestClock,
  type AppConfig,
  type LocalReplies,
} from '@ork/shared';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { answerMalformedRequests } from './http/client-error.js';
import { corsRule, exposureWarning } from './http/exposure.js';
import { Gateway } from './gateway/gateway.js';
import { InstanceHeartbeat } from './gateway/instance-heartbeat.js';
import { KeyQueues } from '@ork/shared';
import { KeyStatusReader } from './status/key-status-reader.js';
import { ModelCatalog } from './models/model-catalog.js';
import { UpstreamGetCache } from './models/upstream-get-cache.js';
import { UpstreamClient } from '@ork/worker';

export interface RunningApi {
  server: Server;
  url: string;
  /** Stops accepting, waits for open requests up to the caller's deadline, closes Redis. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** Key workers in this same process (`npm start`) hand their replies over here in memory. */
  localReplies?: LocalReplies;
}

/** Builds and starts the API: fail-fast Redis, key queues, the reply reader, the HTTP server. */
export async function startApi(config: AppConfig, logger: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  const redis = createApiRedis(config);
  const blocking = createWorkerRedis(config, 'ork-api-replies');
  await connectRedis(redis, config);
  await connectRedis(blocking, config);
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  blocking.on('error', () => undefined);

  const redisKeys = new RedisKeys(config.redisPrefix);
  // Test suite only (TEST_HOOKS needs NODE_ENV=test): routing and status on the test clock.
  if (config.testHooks) useTestClock(redis, redisKeys.testClockOffset());
  const queues = new KeyQueues(toUpstreamKeys(config.upstreamKeys), redis, redisKeys, config.jobRetentionSeconds);
  const instanceId = randomUUID();
  const replies = new ReplyReader(blocking, redis, redisKeys.replies(instanceId), logger);
  replies.start();
  const detachReplies = options.localReplies?.attach(instanceId, replies);
  const gateway = new Gateway({
    redis,
    queues,
    replies,
    instanceId,
    limits: config.limits,
    logger,
  });
  const heartbeat = new InstanceHeartbeat(redis, redisKeys.apiHeartbeat(instanceId), () => gateway.failAllLost(), logger);
  await heartbeat.start();
  const statuses = new KeyStatusReader(redis, queues, config.limits);
  const models = new ModelCatalog({
    redis,
    cacheKey: redisKeys.modelsCache(),
    upstreamBaseUrl: config.upstreamBaseUrl,
    logger,
  });
  const embeddingModels = new ModelCatalog({
    redis,
    cacheKey: redisKeys.catalogCache('embeddings/models'),
    upstreamBaseUrl: config.upstreamBaseUrl,
    path: 'embeddings/models',
    logger,
  });
  const upstreamCache = new UpstreamGetCache({
    redis,
    upstreamBaseUrl: config.upstreamBaseUrl,
    redisKeyOf: (path) => redisKeys.catalogCache(path),
  });
  const upstream = new UpstreamClient(config.upstreamBaseUrl, config.upstreamBounds);
  const metrics = new MetricsRecorder({
    redis,
    prefix: config.redisPrefix,
    onError: (err) => logger.debug({ err }, 'could not write metrics; kept for the next flush'),
  });
  const app = createApp({ config, redis, gateway, queues, models, embeddingModels, upstreamCache, upstream, statuses, metrics, logger });

  // Receiving a request has its own deadline (BODY_READ_TIMEOUT_MS), checked often enough to
  // hold; the wait for the answer is QUEUE_TIMEOUT_MS, which Node's timers do not cover.
  const readMs = config.bodyReadTimeoutMs;
  const server = createServer(
    { requestTimeout: readMs, headersTimeout: Math.min(60_000, readMs), connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(readMs / 4))) },
    app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  answerMalformedRequests(server);
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, keys: queues.keys.length, adminAuth: config.adminAuth.enabled }, 'api listening');
  if (!config.adminAuth.enabled) {
    logger.info({ trustProxy: config.trustProxy }, 'admin surface answers loopback callers only (AUTH_ENABLED=false)');
  }
  if (!config.apiKeyAuthEnabled) logger.info('OpenAI routes need no client key (API_KEY_AUTH_ENABLED=false)');
  logger.info({ corsOrigins: config.corsOrigins, allowedHosts: config.allowedHosts }, `browsers may call the OpenAI routes from ${corsRule(config)}`);
  const warning = exposureWarning(config);
  if (warning) logger.warn({ host: config.host }, warning);

  let closing: Promise<void> | undefined;
  // While closing, a keep-alive connection is dropped as soon as its last answer is out,
  // rather than lingering until the client's keep-alive timeout.
  server.on('request', (_req, res: ServerResponse) => {
    res.once('finish', () => {
      if (closing) server.closeIdleConnections();
    });
  });
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await heartbeat.close();
      detachReplies?.();
      await replies.close();
      await queues.close();
      await upstream.close();
      await metrics.close();
      redis.disconnect();
    })());
  return { server, url, close };
}
