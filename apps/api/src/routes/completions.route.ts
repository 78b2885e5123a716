import { Router, type Request, type Response } from 'express';
import { ENDPOINTS, UPSTREAM_ENDPOINTS, type UpstreamEndpoint } from '@ork/shared';
import { validateCompletionRequest } from '../completions/validate-request.js';
import { JsonResponder } from '../completions/json-responder.js';
import { SseResponder } from '../completions/sse-responder.js';
import { ClientGoneError, type Gateway } from '../gateway/gateway.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { ClientLeftError, type IdempotencyStore, type StoredResponse } from '../completions/idempotency.js';
import { noteUpstream } from '../completions/upstream-facts.js';
import { clientDeadline } from '../completions/client-deadline.js';
import { noteQueued, noteQueueWait } from '../completions/queue-headers.js';

export interface CompletionsRouteOptions {
  queueTimeoutMs: number;
  /** Test suite only: stamp answers with their acceptance time (x-ork-accepted-at). */
  testHooks: boolean;
}

/** A signal that fires when the client hangs up before we answered. */
function clientGone(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.on('aborted', () => controller.abort());
  return controller.signal;
}

async function settleIdempotency(store: IdempotencyStore, key: string, body: unknown, delivered: StoredResponse | undefined): Promise<void> {
  try {
    if (delivered) await store.complete(key, body, delivered);
    else await store.release(key);
  } catch {
    // Redis away: the entry expires on its own; a retry then runs again.
  }
}

/** POST chat/completions, completions, responses and embeddings: validate, queue on a key, relay upstream's answer or stream. */
export function completionsRouter(gateway: Gateway, idempotency: IdempotencyStore, o: CompletionsRouteOptions): Router {
  const router = Router();
  const handle = (endpoint: UpstreamEndpoint) => async (req: Request, res: Response) => {
    const request = validateCompletionRequest(endpoint, req.body, req.headers);
    const deadline = clientDeadline(req.headers, o.queueTimeoutMs);
    const idempotencyKey = req.header('idempotency-key');
    const signal = clientGone(req, res);
    let claimed: string | undefined;
    if (idempotencyKey !== undefined) {
      const scope = res.locals.clientKeyId ?? '-';
      let claim;
      try {
        claim = await idempotency.claim(idempotencyKey, scope, request.body, Date.now() + deadline.timeoutMs, signal);
      } catch (err) {
        if (err instanceof ClientLeftError) return;
        throw err;
      }
      if (claim.kind === 'replay') {
        res.status(claim.response.status).type(claim.response.contentType).setHeader('idempotent-replayed', 'true');
        res.send(claim.response.body);
        return;
      }
      claimed = claim.key;
    }
    const responder = request.stream ? new SseResponder(res, ENDPOINTS[endpoint].sseDialect) : new JsonResponder(res);
    try {
      await gateway.submit(request, {
        signal,
        deadline,
        clientKeyId: res.locals.clientKeyId,
        onQueued: (ticket) => {
          noteQueued(res, ticket, o.testHooks);
          responder.onQueued(ticket);
        },
        onMessage: (message) => {
          noteUpstream(res, message);
          noteQueueWait(res, message);
          responder.onMessage(message);
        },
      });
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      if (!responder.started) throw err;
      responder.fail(err);
    } finally {
      responder.dispose();
      if (claimed !== undefined) await settleIdempotency(idempotency, claimed, request.body, responder.delivered());
      // Read by the client-key usage accounting once the response has finished.
      res.locals.usage = responder.usage;
    }
  };
  for (const endpoint of UPSTREAM_ENDPOINTS) {
    router.post(`/${endpoint}`, handle(endpoint));
    // GET /embeddings/models is a catalogue route of its own; only the exact path is POST-only.
    router.all(`/${endpoint}`, methodNotAllowed('POST'));
  }
  return router;
}
