import express, { Router } from 'express';
import {
  NotFoundError,
  parseClientKeyPatch,
  parseNewClientKey,
  type ClientKeyStore,
} from '@ork/shared';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { requireJson } from '../middleware/require-json.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** Redis failures on the admin path become a 503. */
const redisCall = <T>(fn: () => Promise<T>): Promise<T> => orRedisUnavailable('client keys are unavailable right now', fn);

const unknownKey = (id: string): NotFoundError => new NotFoundError(`No client key with id ${id}.`, { param: 'id' });

/** /api/keys: issue, list, change and revoke client keys. Sits behind the admin guard. */
export function keysRouter(store: ClientKeyStore): Router {
  const router = Router();
  router.use('/api/keys', requireJson(['POST', 'PATCH']), express.json({ limit: '16kb', type: ['application/json', '+json'] }));

  router.post('/api/keys', async (req, res) => {
    const input = parseNewClientKey(req.body);
    const issued = await redisCall(() => store.create(input));
    res.status(201).json({ ...issued, note: 'Store this key now: it is shown only this once.' });
  });
  router.get('/api/keys', async (_req, res) => {
    res.json({ keys: await redisCall(() => store.list()) });
  });
  router.get('/api/keys/:id', async (req, res) => {
    const info = await redisCall(() => store.get(req.params.id));
    if (!info) throw unknownKey(req.params.id);
    res.json(info);
  });
  router.patch('/api/keys/:id', async (req, res) => {
    const patch = parseClientKeyPatch(req.body);
    const info = await redisCall(() => store.update(req.params.id, patch));
    if (!info) throw unknownKey(req.params.id);
    res.json(info);
  });
  router.delete('/api/keys/:id', async (req, res) => {
    if (!(await redisCall(() => store.remove(req.params.id)))) throw unknownKey(req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });
  router.all('/api/keys', methodNotAllowed('GET, POST'));
  router.all('/api/keys/:id', methodNotAllowed('GET, PATCH, DELETE'));
  return router;
}
