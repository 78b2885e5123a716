import express, { type Express } from 'express';
import type { RedisClient } from '@ork/shared';
import { ClientKeyStore, UpstreamErrorWindow, backgroundStores, type AppConfig, type MetricsRecorder } from '@ork/shared';
import type { Logger } from 'pino';
import type { Gateway } from './gateway/gateway.js';
import type { KeyQueues } from '@ork/shared';
import { adminSurface } from './admin/admin-surface.js';
import { clientAuth } from './client-keys/client-auth.js';
import { cors } from './middleware/cors.js';
import { hostGuard } from './middleware/host-guard.js';
import { rejectDeepJson } from './middleware/json-depth.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { requestLogger } from './middleware/request-logger.js';
import { requireJson } from './middleware/require-json.js';
import { completionsRouter } from './routes/completions.route.js';
import { IdempotencyStore } from './completions/idempotency.js';
import { modelsRouter } from './routes/models.route.js';
import type { ModelCatalog } from './models/model-catalog.js';
import type { UpstreamGetCache } from './models/upstream-get-cache.js';
import { catalogRouter } from './routes/catalog.route.js';
import { generationRouter } from './routes/generation.route.js';
import type { UpstreamClient } from '@ork/worker';
import { healthRouter } from './routes/health.route.js';
import { filesRouter } from './background/files.route.js';
import { batchesRouter } from './background/batches.route.js';
import { asyncJobsRouter } from './background/async-jobs.route.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { MetricsEndpoint } from './metrics/metrics-endpoint.js';
import type { KeyStatusReader } from './status/key-status-reader.js';
// The one declaration of what `res.locals` carries (Express.Locals).
import './http/response-locals.js';

/** Where the OpenAI-compatible routes live; the root is last because n8n uses the bare URL. */
export const OPENAI_PREFIXES = ['/api/v1', '/api/proxy', '/v1', '/'] as const;

export interface AppDeps {
  config: AppConfig;
  redis: RedisClient;
  gateway: Gateway;
  queues: KeyQueues;
  models: ModelCatalog;
  embeddingModels: ModelCatalog;
  /** Keyless catalogue GETs (a model's endpoints), cached. */
  upstreamCache: UpstreamGetCache;
  /** For `GET /generation`, asked with the key that made the generation. */
  upstream: UpstreamClient;
  statuses: KeyStatusReader;
  /** This process's writer of the deployment's counters. */
  metrics: MetricsRecorder;
  logger: Logger;
}

export function createApp(deps: AppDeps): Express {
  const { config, redis, gateway, queues, models, statuses, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(logger));
  app.use(httpMetrics(metrics));
  app.use(healthRouter(redis, statuses));

  const clientKeys = new ClientKeyStore(redis, config.redisPrefix);
  const metricsEndpoint = new MetricsEndpoint(redis, config.redisPrefix, statuses);
  const upstreamErrors = new UpstreamErrorWindow(redis, queues.redisKeys);
  app.use(adminSurface({ config, redis, clientKeys, queues, statuses, metrics: metricsEndpoint, upstreamErrors, logger }));

  const openai = express.Router();
  // Open without a client key: a DNS-rebinding page must not reach the pool under its own name.
  if (!config.apiKeyAuthEnabled) openai.use(hostGuard(config.allowedHosts));
  openai.use(cors(config.corsOrigins));
  if (config.apiKeyAuthEnabled) openai.use(clientAuth(clientKeys, logger));
  const background = { redis, queues, config, stores: backgroundStores(redis, queues, config) };
  // Multipart uploads: before the JSON-only rule.
  openai.use(filesRouter(background.stores.files, { maxBytes: config.background.maxFileBytes, maxLines: config.background.maxLines }));
  // Cancelling a batch is a POST without a body (the SDK sends no Content-Type): before the JSON-only rule too.
  openai.use(batchesRouter(background, config.maxBodyBytes));
  openai.use(requireJson());
  openai.use(express.json({ limit: config.maxBodyBytes, type: ['application/json', '+json'], strict: false }));
  openai.use(rejectDeepJson());
  openai.use(
    completionsRouter(gateway, new IdempotencyStore(redis, config.redisPrefix), {
      queueTimeoutMs: config.queueTimeoutMs,
      testHooks: config.testHooks,
    }),
  );
  openai.use(asyncJobsRouter(background));
  openai.use(catalogRouter(deps.embeddingModels, deps.upstreamCache));
  openai.use(modelsRouter(models));
  openai.use(generationRouter({ redis, redisKeys: queues.redisKeys, queues, upstream: deps.upstream }));
  for (const prefix of OPENAI_PREFIXES) app.use(prefix, openai);

  app.use(notFound());
  app.use(errorHandler(logger, () => redis.status !== 'ready'));
  return app;
}
