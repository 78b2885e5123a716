import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { ForbiddenError } from '@ork/shared';
import { hostName } from './host-guard.js';

/** A page served by this very host is no cross-origin caller, whatever the CORS rule. */
function sameOrigin(origin: string, headers: IncomingHttpHeaders): boolean {
  try {
    return headers.host !== undefined && new URL(origin).host.toLowerCase() === headers.host.toLowerCase() && hostName(headers.host) !== undefined;
  } catch {
    return false;
  }
}

/**
 * CORS for the OpenAI-compatible routes, with preflight answered here. A browser request from an
 * origin not allowed is refused outright (403), not merely left unreadable: a simple request
 * would otherwise still spend quota.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !any && !origins.includes(origin) && !sameOrigin(origin, req.headers)) {
      req.log?.warn({ origin }, 'refused a browser request from an origin not in CORS_ORIGINS');
      next(
        new ForbiddenError(`Origin ${origin.slice(0, 200)} may not call this gateway from a browser; the operator can allow it in CORS_ORIGINS.`, {
          code: 'origin_not_allowed',
        }),
      );
      return;
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      if (!any) res.vary('origin');
      res.setHeader(
        'access-control-expose-headers',
        'retry-after, retry-after-ms, x-should-retry, x-request-id, x-queue-wait-ms, x-queue-estimate-ms',
      );
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
