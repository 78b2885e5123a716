import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from 'pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** What the handlers learnt about a request (Express's `res.locals`): client key id, upstream facts. */
function factsOf(res: ServerResponse): Record<string, unknown> {
  // pino-http hands over the raw response; Express has added `locals` to that same object.
  const locals = (res as { locals?: Express.Locals }).locals;
  if (locals === undefined) return {};
  return {
    ...(locals.clientKeyId !== undefined ? { clientKeyId: locals.clientKeyId } : {}),
    ...locals.upstream,
  };
}

/**
 * One log line per request: request id, method, path (never the query, which may carry
 * ?api_key=), status, duration (responseTime, ms), client key id (never the key), and for
 * completions the upstream key id, its status and the queue wait.
 */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customSuccessObject: (_req, res, value: object) => ({ ...value, ...factsOf(res) }),
    customErrorObject: (_req, res, _err, value: object) => ({ ...value, ...factsOf(res) }),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  });
}
