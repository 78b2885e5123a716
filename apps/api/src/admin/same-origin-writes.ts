import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { ForbiddenError } from '@ork/shared';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export type WriteOriginDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether a write to the admin surface may come from where it says it comes from. A browser
 * re-sends cached Basic credentials (and reaches loopback) on any site's behalf, so a write that
 * names another site (`Origin`, or `Sec-Fetch-Site: cross-site|same-site`) is a forgery. Scripts
 * and curl send neither header and are unaffected. The host compared is the one the request was
 * sent to (`Host`, or `X-Forwarded-Host` from a proxy that rewrites it).
 */
export function decideWriteOrigin(method: string, headers: IncomingHttpHeaders): WriteOriginDecision {
  if (READS.has(method.toUpperCase())) return { allowed: true };
  const site = one(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { allowed: false, reason: `Sec-Fetch-Site is ${site}` };
  }
  const origin = one(headers.origin);
  if (origin === undefined) return { allowed: true };
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return { allowed: false, reason: `Origin ${origin} is not a URL` };
  }
  // A proxy that rewrites Host names the original in X-Forwarded-Host; a browser cannot set that header cross-site.
  const own = [one(headers.host), one(headers['x-forwarded-host'])?.split(',')[0]?.trim()];
  if (host !== '' && own.some((h) => h !== undefined && h.toLowerCase() === host.toLowerCase())) return { allowed: true };
  return { allowed: false, reason: `Origin ${origin} is not this service` };
}

/** Refuses cross-site writes to the admin surface with 403 (OpenAI error shape). */
export function sameOriginWrites(): RequestHandler {
  return (req, _res, next) => {
    const decision = decideWriteOrigin(req.method, req.headers);
    if (decision.allowed) return next();
    req.log?.warn({ reason: decision.reason }, 'admin surface refused a cross-site write');
    next(
      new ForbiddenError('Cross-site writes to the admin surface are refused; call it from the admin page or without an Origin header.', {
        code: 'cross_site_request',
      }),
    );
  };
}
