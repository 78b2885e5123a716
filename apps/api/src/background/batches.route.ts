import express, { Router, type Request } from 'express';
import { requireJson } from '../middleware/require-json.js';
import { BadRequestError, NotFoundError, poolPace, type AppConfig, type BackgroundStores, type KeyQueues } from '@ork/shared';
import type { RedisClient } from '@ork/shared';
import { methodNotAllowed } from '../routes/method-not-allowed.js';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { backgroundClientOf } from './background-client.js';
import { createBatch } from './create-batch.js';

const MAX_PAGE = 100;

function pageLimit(req: Request): number {
  const raw = req.query.limit;
  if (raw === undefined) return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new BadRequestError(`\`limit\` must be a whole number from 1 to ${MAX_PAGE}.`, { param: 'limit' });
  return n;
}

/** OpenAI's Batch API: create, list (cursor pages), retrieve, cancel; a client sees only its own batches. */
export function batchesRouter(o: { redis: RedisClient; queues: KeyQueues; config: AppConfig; stores: BackgroundStores }, maxBodyBytes: number): Router {
  const { stores } = o;
  const router = Router();
  const pace = () => poolPace(o.redis, o.queues, o.config);
  router.post('/batches', requireJson(), express.json({ limit: maxBodyBytes }), async (req, res) => {
    const owner = backgroundClientOf(res);
    const id = await orRedisUnavailable('batches cannot be created right now', () => createBatch(stores, owner, (req.body ?? {}) as Record<string, unknown>));
    res.json(await stores.batches.get(id, owner, await pace()));
  });
  router.get('/batches', async (req, res) => {
    const after = typeof req.query.after === 'string' ? req.query.after : undefined;
    const page = await stores.batches.list(backgroundClientOf(res), after, pageLimit(req), await pace());
    res.json({ object: 'list', data: page.data, first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null, has_more: page.has_more });
  });
  router.all('/batches', methodNotAllowed('GET, POST'));
  router.get('/batches/:id', async (req, res) => {
    const batch = await stores.batches.get(req.params.id ?? '', backgroundClientOf(res), await pace());
    if (!batch) throw new NotFoundError(`No such batch: ${req.params.id}`, { param: 'batch_id' });
    res.json(batch);
  });
  router.post('/batches/:id/cancel', async (req, res) => {
    const owner = backgroundClientOf(res);
    const id = req.params.id ?? '';
    if ((await stores.batches.ownerOf(id)) !== owner) throw new NotFoundError(`No such batch: ${id}`, { param: 'batch_id' });
    // Lines already in a key queue finish; the rest never run.
    if (await stores.batches.markStopping(id, 'cancelling')) {
      await stores.batches.recordDropped(id, await stores.backlog.withdrawBatch(id));
    }
    res.json(await stores.batches.get(id, owner, await pace()));
  });
  return router;
}
