import type { RequestHandler } from 'express';
import { isIP } from 'node:net';
import { ForbiddenError } from '@ork/shared';

/** The name part of a Host header: no port, no IPv6 brackets, lower case; undefined if unreadable. */
export function hostName(host: string): string | undefined {
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(host);
  if (bracketed) return bracketed[1]?.toLowerCase();
  const plain = /^([^:\s]+)(?::\d{1,5})?$/.exec(host);
  return plain?.[1]?.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a `Host` is one this service answers to while a surface is open without credentials.
 * A DNS-rebinding page reaches us under its own name, so names must be listed (localhost always
 * is); an IP address cannot be rebound and is always accepted. No Host (HTTP/1.0) is no browser.
 */
export function isAllowedHost(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined || allowed.includes('*')) return true;
  const name = hostName(host);
  if (name === undefined) return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => (entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry));
}

/** Refuses requests under a host name the operator did not list (ALLOWED_HOSTS). */
export function hostGuard(allowed: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (isAllowedHost(req.headers.host, allowed)) return next();
    req.log?.warn({ host: req.headers.host }, 'refused a request for a host name not in ALLOWED_HOSTS');
    next(
      new ForbiddenError(
        'This host name is not one the gateway answers to without credentials; add it to ALLOWED_HOSTS, or use an IP address or localhost.',
        { code: 'host_not_allowed' },
      ),
    );
  };
}
