import type { RequestHandler } from 'express';

/** CORS for the OpenAI-compatible routes, with preflight answered here. */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && (any || origins.includes(origin))) {
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      if (!any) res.vary('origin');
      res.setHeader('access-control-expose-headers', 'retry-after, retry-after-ms, x-request-id');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader(
        'access-control-allow-headers',
        req.headers['access-control-request-headers'] ?? 'authorization, content-type, x-api-key',
      );
      res.setHeader('access-control-max-age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
