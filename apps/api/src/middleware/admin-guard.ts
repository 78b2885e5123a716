import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AuthenticationError, ForbiddenError } from '@ork/shared';

export interface AdminAuth {
  enabled: boolean;
  username: string;
  password: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about either value.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function basicCredentials(header: string | undefined): { user: string; pass: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/**
 * The admin surface: HTTP Basic auth when AUTH_ENABLED, otherwise loopback callers only
 * (the socket's address: proxy headers are not trusted here).
 */
export function adminGuard(auth: AdminAuth): RequestHandler {
  return (req, res, next) => {
    if (!auth.enabled) {
      if (isLoopback(req.socket.remoteAddress)) return next();
      return next(
        new ForbiddenError('The admin surface answers only local callers while AUTH_ENABLED=false.'),
      );
    }
    const creds = basicCredentials(req.headers.authorization);
    const userOk = creds !== undefined && sameSecret(creds.user, auth.username);
    const passOk = creds !== undefined && sameSecret(creds.pass, auth.password);
    if (userOk && passOk) return next();
    res.setHeader('www-authenticate', 'Basic realm="openrouter-key-aggregator admin", charset="UTF-8"');
    next(new AuthenticationError('Admin credentials required.', { code: 'admin_auth_required' }));
  };
}
