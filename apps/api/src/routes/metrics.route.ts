import { Router } from 'express';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import type { MetricsEndpoint } from '../metrics/metrics-endpoint.js';

/** GET /metrics: Prometheus text for the whole deployment (behind the admin guard). */
export function metricsRouter(endpoint: MetricsEndpoint): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const body = await orRedisUnavailable('metrics are unavailable', () => endpoint.render());
    res.type(endpoint.contentType).send(body);
  });
  return router;
}
