import { Router } from 'express';
import { BadRequestError, NotFoundError, ServiceUnavailableError, type KeyQueues, type RedisKeys } from '@ork/shared';
import type { RedisClient } from '@ork/shared';
import { GENERATION_OWNER_TTL_S, type UpstreamClient } from '@ork/worker';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { methodNotAllowed } from './method-not-allowed.js';

const MAX_ID_LENGTH = 200;
const LOOKUP_TIMEOUT_MS = 10_000;

export interface GenerationRouteDeps {
  redis: RedisClient;
  redisKeys: RedisKeys;
  queues: KeyQueues;
  upstream: UpstreamClient;
}

/**
 * GET generation?id=: OpenRouter answers only to the key that made the generation, so the
 * workers note generation id → key id (never the key) and this asks with that key. A lookup
 * is not a model request: no queue, no quota.
 */
export function generationRouter({ redis, redisKeys, queues, upstream }: GenerationRouteDeps): Router {
  const router = Router();
  router.get('/generation', async (req, res) => {
    const { id } = req.query;
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      throw new BadRequestError('Give the generation id as `?id=gen-…`.', { param: 'id' });
    }
    const keyId = await orRedisUnavailable('the generation cannot be looked up right now', () => redis.get(redisKeys.generation(id)));
    const key = keyId === null ? undefined : queues.keys.find((k) => k.id === keyId);
    if (!key) {
      throw new NotFoundError(`No generation '${id}' was made through this gateway in the last ${GENERATION_OWNER_TTL_S / 60} minutes.`, {
        code: 'generation_not_found',
        param: 'id',
      });
    }
    const answer = await upstream
      .getWithKey(`generation?id=${encodeURIComponent(id)}`, key.secret, AbortSignal.timeout(LOOKUP_TIMEOUT_MS))
      .catch((err: unknown) => {
        throw new ServiceUnavailableError('OpenRouter could not be reached for the generation.', { cause: err });
      });
    res.status(answer.status).type('application/json').send(answer.body);
  });
  router.all('/generation', methodNotAllowed('GET'));
  return router;
}
