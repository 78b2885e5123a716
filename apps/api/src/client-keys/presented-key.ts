import type { IncomingHttpHeaders } from 'node:http';
import { isWellFormedClientKey } from '@ork/shared';

export type PresentedKey = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'key'; key: string };

function bearer(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  // Anything but Bearer (Basic admin credentials included) presents no client key, only a bad one.
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
}

/**
 * The client key of a request, from `X-API-Key`, `Authorization: Bearer` or `?api_key=`, in that
 * order. The first well-formed one wins, so an SDK's placeholder Bearer does not hide a real key
 * sent another way; repeated values count as malformed.
 */
export function presentedKey(headers: IncomingHttpHeaders, query: unknown): PresentedKey {
  const fromQuery = (query as Record<string, unknown> | undefined)?.api_key;
  const candidates: unknown[] = [headers['x-api-key'], bearer(headers.authorization), fromQuery].filter(
    (v) => v !== undefined,
  );
  if (candidates.length === 0) return { kind: 'missing' };
  for (const c of candidates) {
    if (typeof c === 'string' && isWellFormedClientKey(c.trim())) return { kind: 'key', key: c.trim() };
  }
  return { kind: 'malformed' };
}
