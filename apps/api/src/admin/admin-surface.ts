import { Router } from 'express';
import type { RedisClient } from '@ork/shared';
import type { AppConfig, ClientKeyStore, UpstreamErrorWindow } from '@ork/shared';
import type { MetricsEndpoint } from '../metrics/metrics-endpoint.js';
import type { Logger } from 'pino';
import type { KeyQueues } from '@ork/shared';
import { adminGuard } from '../middleware/admin-guard.js';
import { hostGuard } from '../middleware/host-guard.js';
import { keysRouter } from '../routes/keys.route.js';
import { metricsRouter } from '../routes/metrics.route.js';
import { statusRouter } from '../routes/status.route.js';
import type { KeyStatusReader } from '../status/key-status-reader.js';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.js';
import { dashboardRouter } from './dashboard.js';
import { sameOriginWrites } from './same-origin-writes.js';

/** Every path of the admin surface; the guard covers each of them and everything below. */
export const ADMIN_PATHS = ['/api/status', '/api/keys', '/admin', '/metrics'] as const;

export interface AdminSurfaceDeps {
  config: AppConfig;
  redis: RedisClient;
  clientKeys: ClientKeyStore;
  queues: KeyQueues;
  statuses: KeyStatusReader;
  metrics: MetricsEndpoint;
  upstreamErrors: UpstreamErrorWindow;
  logger: Logger;
}

/** The admin surface: the guard and the cross-site check first, then /api/status, /api/keys, /metrics, the dashboard and Bull Board. */
export function adminSurface({ config, redis, clientKeys, queues, statuses, metrics, upstreamErrors, logger }: AdminSurfaceDeps): Router {
  const router = Router();
  // Without a password, "loopback caller" is all that guards it; a DNS-rebinding page is one.
  if (!config.adminAuth.enabled) router.use([...ADMIN_PATHS], hostGuard(config.allowedHosts));
  router.use([...ADMIN_PATHS], adminGuard(config.adminAuth, config.trustProxy), sameOriginWrites());
  router.use(statusRouter(statuses, clientKeys, config.apiKeyAuthEnabled, upstreamErrors, { redis, redisKeys: queues.redisKeys }));
  router.use(keysRouter(clientKeys));
  router.use(metricsRouter(metrics));
  router.use(dashboardRouter());
  router.use(BULL_BOARD_PATH, bullBoardRouter(queues, statuses, logger));
  return router;
}
