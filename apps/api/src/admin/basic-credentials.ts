import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  user: string;
  pass: string;
}

/** Reads `Authorization: Basic base64(user:pass)`; undefined for anything else. */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Equal strings, in time that depends on neither (both are hashed to one length first). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Both parts are always compared, so the time does not tell a wrong user from a wrong password. */
export function credentialsMatch(given: BasicCredentials | undefined, username: string, password: string): boolean {
  if (given === undefined) return false;
  const userOk = sameSecret(given.user, username);
  const passOk = sameSecret(given.pass, password);
  return userOk && passOk;
}
