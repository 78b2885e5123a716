import type { Logger } from 'pino';
import type { KeyWorkerContext } from './worker-context.js';

/** Long enough for a client to look up its generation's cost; short enough that the map stays small. */
export const GENERATION_OWNER_TTL_S = 3_600;

/**
 * Notes which upstream key made a generation (its key id, never the key), because OpenRouter
 * answers `GET /generation?id=` only to the key that made it.
 */
export async function rememberGeneration(ctx: KeyWorkerContext, ids: readonly unknown[], log: Logger): Promise<void> {
  const unique = new Set(ids.filter((id): id is string => typeof id === 'string' && id !== '' && id.length <= 200));
  if (unique.size === 0) return;
  const tx = ctx.redis.multi();
  for (const id of unique) tx.set(ctx.redisKeys.generation(id), ctx.key.id, 'EX', GENERATION_OWNER_TTL_S);
  await tx.exec().catch((err: unknown) => log.warn({ err }, 'could not note the generation id'));
}
