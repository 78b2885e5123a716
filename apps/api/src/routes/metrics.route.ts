import { Router } from 'express';
import { ServiceUnavailableError } from '@ork/shared';
import type { MetricsEndpoint } from '../metrics/metrics-endpoint.js';

/** GET /metrics: Prometheus text for the whole deployment (behind the admin guard). */
export function metricsRouter(endpoint: MetricsEndpoint): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    let body: string;
    try {
      body = await endpoint.render();
    } catch (err) {
      throw new ServiceUnavailableError('Redis is unreachable; metrics are unavailable.', { cause: err });
    }
    res.type(endpoint.contentType).send(body);
  });
  return router;
}
