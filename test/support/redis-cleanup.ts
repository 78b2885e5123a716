import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Removes every key a test (or a bench, soak or demo run) wrote under its own prefix; returns how many. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await redis.unlink(...found);
  } while (cursor !== '0');
  return removed;
}

/** A Redis prefix no other run uses: `<label>-<8 hex>` (t- for tests, bench-, demo-); delete it with deleteByPrefix. */
export function freshPrefix(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
