import { Router } from 'express';
import type { AppConfig, ClientKeyStore } from '@ork/shared';
import type { MetricsEndpoint } from '../metrics/metrics-endpoint.js';
import type { Logger } from 'pino';
import type { KeyQueues } from '@ork/shared';
import { adminGuard } from '../middleware/admin-guard.js';
import { keysRouter } from '../routes/keys.route.js';
import { metricsRouter } from '../routes/metrics.route.js';
import { statusRouter } from '../routes/status.route.js';
import type { KeyStatusReader } from '../status/key-status-reader.js';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.js';

/** Every path of the admin surface; the guard covers each of them and everything below. */
export const ADMIN_PATHS = ['/api/status', '/api/keys', '/admin', '/metrics'] as const;

export interface AdminSurfaceDeps {
  config: AppConfig;
  clientKeys: ClientKeyStore;
  queues: KeyQueues;
  statuses: KeyStatusReader;
  metrics: MetricsEndpoint;
  logger: Logger;
}

/** The admin surface: the guard first, then /api/status, /api/keys, /metrics and Bull Board. */
export function adminSurface({ config, clientKeys, queues, statuses, metrics, logger }: AdminSurfaceDeps): Router {
  const router = Router();
  router.use([...ADMIN_PATHS], adminGuard(config.adminAuth, config.trustProxy));
  router.use(statusRouter(statuses, clientKeys, config.apiKeyAuthEnabled));
  router.use(keysRouter(clientKeys));
  router.use(metricsRouter(metrics));
  router.use(BULL_BOARD_PATH, bullBoardRouter(queues, statuses, logger));
  return router;
}
