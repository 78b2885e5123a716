import { Router, type Request, type Response } from 'express';
import { BadRequestError, HttpError, RateLimitedError, type ReplyMessage, type UpstreamEndpoint } from '@ork/shared';
import { validateCompletionRequest } from '../completions/validate-request.js';
import { ClientGoneError, type Gateway } from '../gateway/gateway.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** A signal that fires when the client hangs up before we answered. */
function clientGone(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.on('aborted', () => controller.abort());
  return controller.signal;
}

function send(res: Response, reply: ReplyMessage): void {
  if (reply.type === 'response') {
    res.status(reply.status).type(reply.contentType).send(reply.body);
    return;
  }
  if (reply.status === 429 && reply.retryAfterMs !== undefined) {
    throw new RateLimitedError(reply.message, reply.retryAfterMs, { code: reply.code });
  }
  throw new HttpError(reply.status, reply.status === 504 ? 'timeout_error' : 'server_error', reply.message, {
    code: reply.code,
  });
}

/** POST chat/completions and completions: validate, queue on a key, relay upstream's answer. */
export function completionsRouter(gateway: Gateway): Router {
  const router = Router();
  const handle = (endpoint: UpstreamEndpoint) => async (req: Request, res: Response) => {
    const request = validateCompletionRequest(endpoint, req.body, req.headers);
    if (request.stream) {
      throw new BadRequestError('Streaming (`stream: true`) is not supported yet; send the request without it.', {
        param: 'stream',
        code: 'streaming_unsupported',
      });
    }
    try {
      send(res, await gateway.submit(request, clientGone(req, res)));
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    }
  };
  router.post('/chat/completions', handle('chat/completions'));
  router.post('/completions', handle('completions'));
  router.all('/chat/completions', methodNotAllowed('POST'));
  router.all('/completions', methodNotAllowed('POST'));
  return router;
}
