import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { KeyQueues } from '@ork/shared';
import type { KeyStatusReader } from '../status/key-status-reader.js';
import { describeKeyQueue } from './key-queue-description.js';
import { KeyQueueAdapter } from './key-queue-adapter.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Descriptions older than this are re-read before the board answers one of its API calls. */
const FRESH_MS = 1_000;

/**
 * Bull Board over every key queue. Descriptions are refreshed when the board asks for data
 * (its page polls every few seconds), so they are current while someone looks and cost
 * nothing otherwise; no timer is left to clear on shutdown. Mount behind the admin guard.
 */
export function bullBoardRouter(queues: KeyQueues, statuses: KeyStatusReader, logger: Logger): Router {
  const adapters = new Map(queues.keys.map((key) => [key.id, new KeyQueueAdapter(queues.get(key.id), key.masked)]));
  const paid = new KeyQueueAdapter(queues.paid, 'paid models (all keys)');
  paid.setDescription('paid-model requests of every key: not held to the free-model limits, each job names its key (keyId)');
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: [...adapters.values(), paid],
    serverAdapter,
    // showWorkers would run a CLIENT LIST per queue on every poll.
    options: { uiConfig: { boardTitle: 'OpenRouter keys', showWorkers: false } },
  });

  let readAt = 0;
  let reading: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (reading ??= statuses
      .readAll()
      .then((all) => {
        for (const status of all) adapters.get(status.id)?.setDescription(describeKeyQueue(status));
        readAt = Date.now();
      })
      .catch((err: unknown) => logger.warn({ err }, 'could not read key states for Bull Board'))
      .finally(() => {
        reading = undefined;
      }));

  const router = Router();
  router.use(async (req, _res, next) => {
    if (req.path.startsWith('/api/') && Date.now() - readAt >= FRESH_MS) await refresh();
    next();
  });
  router.use(serverAdapter.getRouter() as RequestHandler);
  return router;
}
