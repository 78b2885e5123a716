import { Router } from 'express';
import { NotFoundError } from '@ork/shared';
import type { ModelCatalog, ModelEntry } from '../models/model-catalog.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** OpenRouter's entry plus the fields OpenAI clients read (`object`, `owned_by`). */
function asOpenAIModel(m: ModelEntry): ModelEntry {
  return { ...m, object: 'model', owned_by: m.id.split('/')[0] ?? 'openrouter' };
}

/** GET models and models/{id} (ids contain slashes, e.g. meta-llama/llama-4-maverick:free). */
export function modelsRouter(catalog: ModelCatalog): Router {
  const router = Router();
  router.get('/models', async (_req, res) => {
    res.json({ object: 'list', data: (await catalog.list()).map(asOpenAIModel) });
  });
  router.get('/models/*id', async (req, res) => {
    const id = (req.params).id.join('/');
    const model = await catalog.get(id);
    if (!model) throw new NotFoundError(`The model '${id}' does not exist.`, { code: 'model_not_found', param: 'model' });
    res.json(asOpenAIModel(model));
  });
  router.all('/models', methodNotAllowed('GET'));
  return router;
}
