import { Router } from 'express';
import type { RedisClient } from '@ork/shared';
import { groupAccounts, readBackgroundSummary, type AccountStatus, type RedisKeys, type ClientKeyInfo, type ClientKeyStore, type UpstreamErrorWindow } from '@ork/shared';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import type { KeyStatus, KeyStatusReader } from '../status/key-status-reader.js';

/** Pool totals. Capacity is the accounts' (keys of one account share its budget), not the keys'. */
function totals(keys: KeyStatus[], accounts: AccountStatus[]) {
  const sum = (f: (k: KeyStatus) => number): number => keys.reduce((acc, k) => acc + f(k), 0);
  const usable = (a: AccountStatus): boolean => keys.some((k) => k.accountId === a.id && k.state !== 'disabled');
  const capped = accounts.every((a) => a.today.limit !== null);
  const perMinute = keys[0]?.limits.perMinute ?? 0;
  return {
    keys: keys.length,
    accounts: accounts.length,
    unknownAccounts: accounts.filter((a) => !a.known).length,
    usableKeys: keys.filter((k) => k.state === 'active' || k.state === 'cooling-down').length,
    startedToday: sum((k) => k.today.started),
    paidStartedToday: sum((k) => k.today.paidStarted),
    succeededToday: sum((k) => k.today.succeeded),
    failedToday: sum((k) => k.today.failed),
    dailyCapacity: capped ? accounts.reduce((acc, a) => acc + (a.today.limit ?? 0), 0) : null,
    remainingToday: capped ? accounts.reduce((acc, a) => acc + (usable(a) ? (a.today.remaining ?? 0) : 0), 0) : null,
    minuteCapacity: perMinute > 0 ? accounts.length * perMinute : null,
    thisMinute: sum((k) => k.thisMinute),
    promptTokensToday: sum((k) => k.today.promptTokens),
    completionTokensToday: sum((k) => k.today.completionTokens),
    waiting: sum((k) => k.queue.waiting),
    active: sum((k) => k.queue.active),
  };
}

/** Usage attributed to client keys: who spent what today and in total. */
function clientsSection(required: boolean, keys: ClientKeyInfo[]) {
  const sum = (f: (k: ClientKeyInfo) => number): number => keys.reduce((acc, k) => acc + f(k), 0);
  return {
    required,
    keys: keys.length,
    activeKeys: keys.filter((k) => k.active).length,
    requestsToday: sum((k) => k.usage.today.requests),
    promptTokensToday: sum((k) => k.usage.today.promptTokens),
    completionTokensToday: sum((k) => k.usage.today.completionTokens),
    usage: keys.map(({ id, name, masked, active, rateLimit, lastUsedAt, usage }) => ({
      id,
      name,
      masked,
      active,
      rateLimit,
      lastUsedAt,
      ...usage,
    })),
  };
}

/** GET /api/status: every key (masked) with its limits, counts and queue; pool totals; client key usage; the last hour's upstream errors. */
export function statusRouter(
  statuses: KeyStatusReader,
  clients: ClientKeyStore,
  clientKeysRequired: boolean,
  upstreamErrors: UpstreamErrorWindow,
  background: { redis: RedisClient; redisKeys: RedisKeys },
): Router {
  const router = Router();
  router.get('/api/status', async (_req, res) => {
    const [keys, clientKeys, errors] = await orRedisUnavailable('status is unavailable', () =>
      Promise.all([statuses.readAll(), clients.list(), upstreamErrors.read()]),
    );
    const backgroundWork = await orRedisUnavailable('status is unavailable', () => readBackgroundSummary(background.redis, background.redisKeys));
    const accounts = groupAccounts(keys);
    res.json({
      time: new Date().toISOString(),
      pool: totals(keys, accounts),
      accounts,
      keys,
      clients: clientsSection(clientKeysRequired, clientKeys),
      // Async jobs and batch lines, apart from the synchronous requests counted in pool and keys.
      background: { ...backgroundWork, inKeyQueuesWaiting: keys.reduce((acc, k) => acc + k.queue.background, 0) },
      lastHour: { upstreamErrors: errors.total, byOutcome: errors.byOutcome },
    });
  });
  return router;
}
