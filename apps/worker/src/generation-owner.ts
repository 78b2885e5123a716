import type { PipelineWrites } from '@ork/shared';
import type { KeyWorkerContext } from './worker-context.js';

/** Long enough for a client to look up its generation's cost; short enough that the map stays small. */
export const GENERATION_OWNER_TTL_S = 3_600;

/**
 * Notes which upstream key made a generation (its key id, never the key), because OpenRouter
 * answers `GET /generation?id=` only to the key that made it. Written with the reply, before it.
 */
export function generationWrites(ctx: KeyWorkerContext, ids: readonly unknown[]): PipelineWrites {
  const unique = new Set(ids.filter((id): id is string => typeof id === 'string' && id !== '' && id.length <= 200));
  // One group per id: on a cluster each id's key may live in another slot.
  return [...unique].map((id) => (pipeline) => {
    pipeline.set(ctx.redisKeys.generation(id), ctx.key.id, 'EX', GENERATION_OWNER_TTL_S);
  });
}
