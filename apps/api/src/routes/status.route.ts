import { Router } from 'express';
import { ServiceUnavailableError } from '@ork/shared';
import type { KeyStatus, KeyStatusReader } from '../status/key-status-reader.js';

function totals(keys: KeyStatus[]) {
  const sum = (f: (k: KeyStatus) => number): number => keys.reduce((acc, k) => acc + f(k), 0);
  return {
    keys: keys.length,
    usableKeys: keys.filter((k) => k.state === 'active' || k.state === 'cooling-down').length,
    startedToday: sum((k) => k.today.started),
    succeededToday: sum((k) => k.today.succeeded),
    failedToday: sum((k) => k.today.failed),
    dailyCapacity: keys.every((k) => k.limits.perDay > 0) ? sum((k) => k.limits.perDay) : null,
    remainingToday: keys.every((k) => k.limits.perDay > 0)
      ? sum((k) => (k.state === 'disabled' ? 0 : Math.max(0, k.limits.perDay - k.today.started)))
      : null,
    thisMinute: sum((k) => k.thisMinute),
    promptTokensToday: sum((k) => k.today.promptTokens),
    completionTokensToday: sum((k) => k.today.completionTokens),
    waiting: sum((k) => k.queue.waiting),
    active: sum((k) => k.queue.active),
  };
}

/** GET /api/status: every key (masked) with its limits, counts and queue; pool totals. */
export function statusRouter(statuses: KeyStatusReader): Router {
  const router = Router();
  router.get('/api/status', async (_req, res) => {
    let keys: KeyStatus[];
    try {
      keys = await statuses.readAll();
    } catch (err) {
      throw new ServiceUnavailableError('Redis is unreachable; status is unavailable.', { cause: err });
    }
    res.json({ time: new Date().toISOString(), pool: totals(keys), keys });
  });
  return router;
}
