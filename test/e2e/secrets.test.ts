import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Redis } from 'ioredis';
import { chat } from '../support/client.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    keys: 2,
    apiProcesses: 1,
    workerProcesses: 1,
    env: { KEY_MIN_INTERVAL_MS: '0', LOG_LEVEL: 'trace' },
  });
});
afterAll(async () => {
  await stack?.close();
});

/** Every string stored under the test's prefix, whatever the Redis type. */
async function everythingStored(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

test('upstream keys never appear in responses, /api/status, logs or Redis', async () => {
  const [k0] = stack.keys;
  await stack.sim.configure({ faults: [{ key: k0!, status: 401, body: { error: { message: 'User not found.', code: 401 } } }] });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(stack.url, `secret ${i}`)));
  // The refused key left rotation (logged, shown in status) and its request moved to the other key.
  expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));

  const statusRes = await fetch(`${stack.url}/api/status`);
  const statusText = await statusRes.text();
  expect(statusRes.status).toBe(200);
  const status = JSON.parse(statusText) as { keys: { key: string }[] };
  expect(status.keys.map((k) => k.key)).toEqual(stack.keys.map((k) => `sk-or-v1-${k.slice(9, 11)}…${k.slice(-4)}`));

  const everything = [
    statusText,
    JSON.stringify(results.map((r) => r.body)),
    stack.logs(),
    // One Redis here (no REDIS_CLUSTER_NODES): SCAN sees every key.
    await everythingStored(stack.redis as Redis, stack.prefix),
  ].join('\n');
  expect(stack.logs()).toContain('upstream answered');
  for (const key of stack.keys) {
    expect(everything).not.toContain(key);
    // Not even the part after the prefix.
    expect(everything).not.toContain(key.slice(9, 40));
  }
});
