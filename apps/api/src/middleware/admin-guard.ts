import type { RequestHandler } from 'express';
import { AuthenticationError, ForbiddenError, RateLimitedError, TrustedProxies } from '@ork/shared';
import { AuthFailures } from '../admin/auth-failures.js';
import { basicCredentials, credentialsMatch } from '../admin/basic-credentials.js';
import { decideLocalCaller } from '../admin/local-caller.js';

export interface AdminAuth {
  enabled: boolean;
  username: string;
  password: string;
}

/** What makes the browser show its login prompt. */
export const ADMIN_CHALLENGE = 'Basic realm="openrouter-key-aggregator admin", charset="UTF-8"';

/**
 * The admin surface: HTTP Basic auth when AUTH_ENABLED, otherwise local callers only
 * (see decideLocalCaller for how proxies are treated). Client keys never count here.
 */
export function adminGuard(auth: AdminAuth, trustProxy: readonly string[] = []): RequestHandler {
  const trusted = new TrustedProxies(trustProxy);
  const failures = new AuthFailures();
  return (req, res, next) => {
    if (!auth.enabled) {
      const decision = decideLocalCaller(req.socket.remoteAddress, req.headers, trusted);
      if (decision.local) return next();
      req.log?.warn({ reason: decision.reason }, 'admin surface refused a non-local caller');
      return next(
        new ForbiddenError(
          'The admin surface answers only local callers while AUTH_ENABLED=false; set AUTH_ENABLED=true to use it remotely.',
        ),
      );
    }
    const address = req.socket.remoteAddress ?? '-';
    const waitMs = failures.blockedForMs(address);
    if (waitMs > 0) {
      return next(new RateLimitedError('Too many failed admin logins from this address; wait and try again.', waitMs, { code: 'too_many_auth_failures' }));
    }
    const given = basicCredentials(req.headers.authorization);
    if (credentialsMatch(given, auth.username, auth.password)) return next();
    // A wrong password is a guess; no credentials at all (the browser before its prompt) is not.
    if (given !== undefined) failures.fail(address);
    res.setHeader('www-authenticate', ADMIN_CHALLENGE);
    next(new AuthenticationError('Admin credentials required.', { code: 'admin_auth_required' }));
  };
}
