import { createHash } from 'node:crypto';

/** An upstream OpenRouter key. `secret` must never leave the worker's HTTP call. */
export interface UpstreamKey {
  /** Short stable hash of the key; names its queue and Redis state. */
  id: string;
  /** Safe to show: `sk-or-v1-ab…7f3c`. */
  masked: string;
  secret: string;
}

export function upstreamKeyId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** Shows the key's prefix, two characters and the last four: never enough to use it. */
export function maskKey(secret: string): string {
  const prefix = /^sk-or-v\d+-/.exec(secret)?.[0] ?? '';
  const rest = secret.slice(prefix.length);
  if (rest.length <= 8) return `${prefix}…`;
  return `${prefix}${rest.slice(0, 2)}…${rest.slice(-4)}`;
}

export function toUpstreamKeys(secrets: readonly string[]): UpstreamKey[] {
  return secrets.map((secret) => ({ id: upstreamKeyId(secret), masked: maskKey(secret), secret }));
}
