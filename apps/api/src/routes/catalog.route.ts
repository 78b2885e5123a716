import { Router } from 'express';
import type { ModelCatalog, ModelEntry } from '../models/model-catalog.js';
import type { UpstreamGetCache } from '../models/upstream-get-cache.js';
import { methodNotAllowed } from './method-not-allowed.js';

function asOpenAIModel(m: ModelEntry): ModelEntry {
  return { ...m, object: 'model', owned_by: m.id.split('/')[0] ?? 'openrouter' };
}

/**
 * GET embeddings/models (cached like models) and models/{author}/{slug}/endpoints (cached per
 * model, OpenRouter's answer as is). Both are keyless upstream and spend no quota. Mounted
 * before the models router, whose models/{id} would otherwise take the endpoints path.
 */
export function catalogRouter(embeddingModels: ModelCatalog, upstream: UpstreamGetCache): Router {
  const router = Router();
  router.get('/embeddings/models', async (_req, res) => {
    res.json({ object: 'list', data: (await embeddingModels.list()).map(asOpenAIModel) });
  });
  router.all('/embeddings/models', methodNotAllowed('GET'));
  router.get('/models/:author/:slug/endpoints', async (req, res) => {
    const { author, slug } = req.params;
    // Encoded so a param cannot change the upstream path; `:` (as in `:free`) stays readable.
    const segment = (part: string): string => encodeURIComponent(part).replace(/%3A/gi, ':');
    const answer = await upstream.get(`models/${segment(author)}/${segment(slug)}/endpoints`);
    res.status(answer.status).type('application/json').send(answer.body);
  });
  router.all('/models/:author/:slug/endpoints', methodNotAllowed('GET'));
  return router;
}
