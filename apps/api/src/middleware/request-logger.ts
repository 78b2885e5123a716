import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Level, Logger } from 'pino';
import '../http/request-log.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** What the handlers learnt about a request (Express's `res.locals`): client key id, upstream facts. */
function factsOf(res: ServerResponse): Record<string, unknown> {
  const locals = (res as { locals?: Express.Locals }).locals;
  if (locals === undefined) return {};
  return {
    ...(locals.clientKeyId !== undefined ? { clientKeyId: locals.clientKeyId } : {}),
    ...locals.upstream,
  };
}

function levelOf(res: ServerResponse, err: Error | undefined): Level {
  return err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One log line per request: request id, method, path (never the query, which may carry
 * ?api_key=), status, duration (responseTime, ms), client key id (never the key), and for
 * completions the upstream key id, its status and the queue wait. Also `req.log`, a child
 * logger bound to the request, for the handlers' own lines.
 *
 * The same lines pino-http wrote (`request completed`, `request aborted`, `request errored`),
 * without its cost on every request: the child logger (which serialises its bindings at once) is
 * made only when something logs, and nothing is built for a line the level leaves out.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req);
    req.id = id;
    res.setHeader('x-request-id', id);
    const startedAt = Date.now();
    const fields = { id, method: req.method, path: req.url.split('?')[0] };
    let own: Logger | undefined;
    const ownLogger = (): Logger => (own ??= logger.child({ req: fields }));
    // Handlers may replace it (client-auth binds the client key id); the request's line keeps its own.
    let replaced: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: (): Logger => replaced ?? ownLogger(),
      set: (log: Logger) => {
        replaced = log;
      },
    });

    const complete = (err?: Error): void => {
      res.off('close', complete);
      res.off('finish', complete);
      res.off('error', complete);
      const level = levelOf(res, err);
      if (!logger.isLevelEnabled(level)) return;
      const line = { res: { status: res.statusCode }, responseTime: Date.now() - startedAt };
      if (level === 'error') {
        const error = err ?? new Error(`failed with status code ${res.statusCode}`);
        ownLogger().error({ res: line.res, err: error, responseTime: line.responseTime, ...factsOf(res) }, 'request errored');
        return;
      }
      const message = !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted';
      ownLogger()[level]({ ...line, ...factsOf(res) }, message);
    };
    res.on('close', complete);
    res.on('finish', complete);
    res.on('error', complete);
    next();
  };
}
