/**
 * One-off upgrade of a single Redis from the key layout before Redis Cluster support to the
 * current one (README, "Upgrade notes"): our keys move from `<prefix>:<name>` to
 * `<prefix>:{<prefix>}:<name>` (RENAME, values kept: issued client keys, today's counters,
 * accounts, metrics), and the account map's values (account bases) follow. BullMQ's queues of the
 * old layout (`<prefix>:key-<id>:*`, `<prefix>:paid:*`) are left alone: drain them first.
 *
 * Run with every API and worker process stopped:
 *   REDIS_URL=redis://… REDIS_PREFIX=ork npx tsx scripts/migrate/cluster-key-layout.ts
 * Safe to run twice (keys already moved are skipped).
 */
import { Redis } from 'ioredis';
import { KEY_SUFFIX, RedisKeys } from '@ork/shared';

const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_PREFIX || 'ork';
const redis = new Redis(url, { maxRetriesPerRequest: 1 });
const names = new RedisKeys(prefix);
const old = `${prefix}:`;
/** BullMQ's keys of the old layout: queue `key-<id>` or `paid` directly under the prefix. */
const oldQueueKey = new RegExp(`^${prefix}:(key-[0-9a-f]+|paid):`);

let moved = 0;
let skipped = 0;
let cursor = '0';
const found: string[] = [];
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
  cursor = next;
  found.push(...keys);
} while (cursor !== '0');

for (const key of found) {
  if (key.startsWith(`${names.root}:`) || key.startsWith(`${prefix}:{`)) continue;
  if (oldQueueKey.test(key)) {
    skipped++;
    continue;
  }
  // RENAMENX: never overwrite what a new-layout process may already have written.
  if ((await redis.renamenx(key, `${names.root}:${key.slice(old.length)}`)) === 1) moved++;
}

// The account map holds old-layout bases (key base → account base): rewrite both sides.
const map = names.accountOfKey();
const entries = await redis.hgetall(map);
const rebase = (base: string): string => (base.startsWith(`${names.root}:`) || !base.startsWith(old) ? base : `${names.root}:${base.slice(old.length)}`);
for (const [keyBase, accountBase] of Object.entries(entries)) {
  const k = rebase(keyBase);
  const a = rebase(accountBase);
  if (k === keyBase && a === accountBase) continue;
  await redis.hdel(map, keyBase);
  await redis.hset(map, k, a);
  await redis.sadd(a + KEY_SUFFIX.members, k);
}

console.log(`moved ${moved} keys to ${names.root}:*; left ${skipped} old-layout queue keys (${prefix}:key-*, ${prefix}:paid:*), delete them once drained`);
redis.disconnect();
