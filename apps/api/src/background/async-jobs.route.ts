import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { RedisClient } from '@ork/shared';
import {
  BadRequestError,
  NotFoundError,
  asyncJobView,
  cancelRequest,
  poolPace,
  releaseReservation,
  requestQuota,
  type AppConfig,
  type BackgroundStores,
  type KeyQueues,
  type UpstreamEndpoint,
} from '@ork/shared';
import { validateCompletionRequest } from '../completions/validate-request.js';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { methodNotAllowed } from '../routes/method-not-allowed.js';
import { backgroundClientOf } from './background-client.js';

/** Endpoints an async job may run (`POST /async/<endpoint>`). */
const ASYNC_ENDPOINTS: readonly UpstreamEndpoint[] = ['chat/completions', 'completions'];
const MAX_LISTED = 100;

function callbackUrlOf(body: Record<string, unknown>, secretSet: boolean): string | undefined {
  const url = body.callback_url;
  if (url === undefined || url === null) return undefined;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url) || url.length > 2048 || !URL.canParse(url)) {
    throw new BadRequestError('`callback_url` must be an http(s) URL.', { param: 'callback_url' });
  }
  if (!secretSet) {
    throw new BadRequestError('Callbacks are off: the operator has not set CALLBACK_SECRET, which signs them.', { param: 'callback_url', code: 'callbacks_disabled' });
  }
  return url;
}

/**
 * Async jobs: a completion body queued in the caller's own backlog and answered later (poll, or a
 * signed callback). `POST {prefix}/async/chat/completions` → 202; `GET {prefix}/async/jobs[/{id}]`;
 * `DELETE {prefix}/async/jobs/{id}`.
 */
export function asyncJobsRouter(o: { redis: RedisClient; queues: KeyQueues; config: AppConfig; stores: BackgroundStores }): Router {
  const { stores, redis, queues } = o;
  const router = Router();
  for (const endpoint of ASYNC_ENDPOINTS) {
    router.post(`/async/${endpoint}`, async (req, res) => {
      const body = req.body as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('The request body must be a JSON object.');
      const { callback_url: _ignored, ...rest } = body as Record<string, unknown>;
      const callbackUrl = callbackUrlOf(body as Record<string, unknown>, o.config.background.callbackSecret !== '');
      if (rest.stream === true) throw new BadRequestError('Async jobs do not stream; leave `stream` out.', { param: 'stream' });
      const request = validateCompletionRequest(endpoint, rest, req.headers);
      const clientId = backgroundClientOf(res);
      const id = randomUUID();
      await orRedisUnavailable('async jobs cannot be queued right now', () =>
        stores.backlog.submitAsync({
          id,
          clientId,
          request: { endpoint, body: request.body, headers: request.headers },
          ...(callbackUrl !== undefined ? { callbackUrl } : {}),
        }),
      );
      const position = await stores.backlog.asyncPosition(clientId, id);
      const pace = await poolPace(redis, queues, o.config);
      // Each client's work is served in turn: ahead of this job are its own earlier ones, once per round of waiting clients.
      const clients = Math.max(1, await stores.backlog.waitingClients());
      const startAt = Math.max(Date.now(), pace.blockedUntil ?? 0) + Math.max(0, position - 1) * clients * pace.msPerRequest;
      res.status(202).json({ id, object: 'async.job', status: 'queued', position, estimated_start: Math.ceil(startAt / 1000) });
    });
    router.all(`/async/${endpoint}`, methodNotAllowed('POST'));
  }
  router.get('/async/jobs', async (_req, res) => {
    const clientId = backgroundClientOf(res);
    const index = queues.redisKeys.asyncJobsOf(clientId);
    const ids = await redis.zrevrange(index, 0, MAX_LISTED - 1);
    const data = [];
    for (const id of ids) {
      const item = await stores.backlog.item(id);
      if (item?.clientId === clientId) data.push(asyncJobView(item));
      else await redis.zrem(index, id);
    }
    res.json({ object: 'list', data });
  });
  router.get('/async/jobs/:id', async (req, res) => {
    const clientId = backgroundClientOf(res);
    const item = await stores.backlog.item(req.params.id ?? '');
    if (item?.lane !== 'async' || item.clientId !== clientId) throw new NotFoundError(`No such async job: ${req.params.id}`, { param: 'id' });
    const view = asyncJobView(item);
    res.json(item.status === 'queued' ? { ...view, position: await stores.backlog.asyncPosition(clientId, item.id) } : view);
  });
  router.delete('/async/jobs/:id', async (req, res) => {
    const clientId = backgroundClientOf(res);
    const item = await stores.backlog.item(req.params.id ?? '');
    if (item?.lane !== 'async' || item.clientId !== clientId) throw new NotFoundError(`No such async job: ${req.params.id}`, { param: 'id' });
    if (item.status === 'queued' && (await stores.backlog.withdrawAsync(clientId, item.id))) {
      await stores.backlog.finish(item.id, 'cancelled', undefined, undefined);
    } else if (item.status === 'dispatched') {
      // In a key queue: removed if still waiting there, else its worker aborts the upstream call.
      await stores.backlog.finish(item.id, 'cancelled', undefined, undefined);
      await cancelRequest(redis, queues.redisKeys, item.id);
      const quota = item.request ? requestQuota(item.request.body) : 'free';
      if (item.keyId !== undefined && (await queues.queueFor(item.keyId, quota).remove(item.id)) === 1) {
        await releaseReservation(redis, { accountMap: queues.redisKeys.accountOfKey(), base: queues.redisKeys.keyBase(item.keyId), requestId: item.id, quota });
      }
    }
    const after = await stores.backlog.item(item.id);
    res.json(asyncJobView(after ?? item));
  });
  router.all('/async/jobs/:id', methodNotAllowed('GET, DELETE'));
  return router;
}
