import { Router } from 'express';
import { BadRequestError, NotFoundError, type FileStore } from '@ork/shared';
import { methodNotAllowed } from '../routes/method-not-allowed.js';
import { orRedisUnavailable } from '../http/redis-unavailable.js';
import { backgroundClientOf } from './background-client.js';
import { readUpload, type UploadLimits } from './read-upload.js';

/** OpenAI's Files API, as far as the Batch API needs it: upload (purpose `batch`), metadata, content. */
export function filesRouter(files: FileStore, limits: UploadLimits): Router {
  const router = Router();
  router.post('/files', async (req, res) => {
    const upload = await readUpload(req, limits);
    if (upload.purpose !== 'batch') {
      throw new BadRequestError('Only `purpose: "batch"` files are accepted here.', { param: 'purpose', code: 'invalid_purpose' });
    }
    if (upload.lines === 0) throw new BadRequestError('The file is empty.', { param: 'file', code: 'empty_file' });
    const file = await orRedisUnavailable('files cannot be stored right now', () =>
      files.create({ ownerId: backgroundClientOf(res), filename: upload.filename, purpose: 'batch', content: upload.content }),
    );
    res.status(200).json(file);
  });
  router.all('/files', methodNotAllowed('POST'));
  router.get('/files/:id', async (req, res) => {
    const file = await files.get(req.params.id ?? '', backgroundClientOf(res));
    if (!file) throw new NotFoundError(`No such file: ${req.params.id}`, { param: 'file_id' });
    res.json(file);
  });
  router.get('/files/:id/content', async (req, res) => {
    const file = await files.get(req.params.id ?? '', backgroundClientOf(res));
    const content = file ? await files.content(file.id) : undefined;
    if (!file || content === undefined) throw new NotFoundError(`No such file: ${req.params.id}`, { param: 'file_id' });
    res.type('application/jsonl').send(content);
  });
  return router;
}
