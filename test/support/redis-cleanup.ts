import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '@ork/shared';

/**
 * Removes every key a test (or a bench, soak or demo run) wrote under its own prefix; returns how
 * many. On a cluster it scans every master, and removes keys one by one (several slots never go
 * in one command).
 */
export async function deleteByPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const cluster = redis instanceof Cluster;
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let removed = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length === 0) continue;
      if (!cluster) removed += await node.unlink(...found);
      else for (const key of found) removed += await node.unlink(key);
    } while (cursor !== '0');
  }
  return removed;
}

/** A Redis prefix no other run uses: `<label>-<8 hex>` (t- for tests, bench-, demo-); delete it with deleteByPrefix. */
export function freshPrefix(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
