import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { AppConfig } from '@ork/shared';
import type { Logger } from 'pino';
import type { Gateway } from './gateway/gateway.js';
import type { KeyQueues } from './gateway/key-queues.js';
import { adminGuard } from './middleware/admin-guard.js';
import { cors } from './middleware/cors.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { requestLogger } from './middleware/request-logger.js';
import { requireJson } from './middleware/require-json.js';
import { completionsRouter } from './routes/completions.route.js';
import { healthRouter } from './routes/health.route.js';
import { statusRouter } from './routes/status.route.js';
import type { KeyStatusReader } from './status/key-status-reader.js';

/** Where the OpenAI-compatible routes live; the root is last because n8n uses the bare URL. */
export const OPENAI_PREFIXES = ['/api/v1', '/api/proxy', '/v1', '/'] as const;

export interface AppDeps {
  config: AppConfig;
  redis: Redis;
  gateway: Gateway;
  queues: KeyQueues;
  statuses: KeyStatusReader;
  logger: Logger;
}

export function createApp({ config, redis, gateway, statuses, logger }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogger(logger));
  app.use(healthRouter(redis, statuses));

  const admin = adminGuard(config.adminAuth);
  app.use(['/api/status', '/api/keys', '/admin'], admin);
  app.use(statusRouter(statuses));

  const openai = express.Router();
  openai.use(cors(config.corsOrigins));
  openai.use(requireJson());
  openai.use(express.json({ limit: config.maxBodyBytes, type: ['application/json', '+json'], strict: false }));
  openai.use(completionsRouter(gateway));
  for (const prefix of OPENAI_PREFIXES) app.use(prefix, openai);

  app.use(notFound());
  app.use(errorHandler(logger));
  return app;
}
