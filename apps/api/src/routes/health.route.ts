import { Router } from 'express';
import type { RedisClient } from '@ork/shared';
import type { KeyStatusReader } from '../status/key-status-reader.js';

/** /healthz: the process is up. /readyz: Redis answers and at least one key can take requests. */
export function healthRouter(redis: RedisClient, statuses: KeyStatusReader): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await redis.ping();
    } catch {
      res.status(503).json({ status: 'unavailable', redis: 'unreachable', usableKeys: 0 });
      return;
    }
    const usable = (await statuses.readAll()).filter((k) => k.state === 'active' || k.state === 'cooling-down').length;
    res.status(usable > 0 ? 200 : 503).json({ status: usable > 0 ? 'ready' : 'no usable key', redis: 'ok', usableKeys: usable });
  });
  return router;
}
